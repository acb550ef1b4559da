package tcfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// call is one API request being handled.
type call struct {
	r     *http.Request
	route string
	p     map[string]string
	body  []byte
	who   *principal // nil: anonymous
}

type route struct {
	name    string // e.g. "queue.claimWork"; used for stats and fault patterns
	method  string
	service string   // queue, object, index, auth, worker-manager; "" for /s3 blobs
	parts   []string // literal segments or ":param"; a final ":param*" takes the rest
	h       func(*Server, *call) reply
}

var routes []route

func init() {
	routes = append(routes, queueRoutes...)
	routes = append(routes, artifactRoutes...)
	routes = append(routes, objectRoutes...)
	routes = append(routes, miscRoutes...)
	routes = append(routes, workerRoutes...)
}

// splitPath turns an escaped path into unescaped segments. client-go escapes
// each parameter, so `/` inside a name arrives as %2F. Like the real services
// (decodeURIComponent), `+` stays a plus sign.
func splitPath(escaped string) ([]string, bool) {
	raw := strings.Split(strings.Trim(escaped, "/"), "/")
	out := make([]string, len(raw))
	for i, seg := range raw {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, false
		}
		out[i] = u
	}
	return out, true
}

func match(r *http.Request) (*route, map[string]string, bool) {
	segs, okp := splitPath(r.URL.EscapedPath())
	if !okp {
		return nil, nil, false
	}
	service := ""
	if len(segs) >= 3 && segs[0] == "api" && segs[2] == "v1" {
		service, segs = segs[1], segs[3:]
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for i := range routes {
		rt := &routes[i]
		if rt.service != service || rt.method != method {
			continue
		}
		if p, ok := matchParts(rt.parts, segs); ok {
			return rt, p, true
		}
	}
	return nil, nil, false
}

func matchParts(parts, segs []string) (map[string]string, bool) {
	p := map[string]string{}
	for i, part := range parts {
		if strings.HasPrefix(part, ":") && strings.HasSuffix(part, "*") {
			if i >= len(segs) {
				return nil, false
			}
			p[part[1:len(part)-1]] = strings.Join(segs[i:], "/")
			return p, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(part, ":") {
			p[part[1:]] = segs[i]
		} else if part != segs[i] {
			return nil, false
		}
	}
	return p, len(parts) == len(segs)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, params, found := match(r)
	if !found {
		errReply(http.StatusNotFound, "ResourceNotFound", "tcfake: no route for "+r.Method+" "+r.URL.Path).
			write(w, "unknown", s.opts.Now().UTC())
		return
	}
	s.mu.Lock()
	f := s.drawFault(rt.name)
	s.mu.Unlock()
	if f.latency > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-afterReal(f.latency):
		}
	}
	if f.kind == faultReset {
		s.record(rt.name, r, params, "", 0, faultReset)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		errReply(http.StatusBadGateway, "InternalServerError", "tcfake: injected reset").write(w, rt.name, s.opts.Now().UTC())
		return
	}
	if f.kind == faultBefore {
		_, _ = readBody(r)
		s.record(rt.name, r, params, "", f.status, faultBefore)
		errReply(f.status, "InternalServerError", "tcfake: injected fault before handling").write(w, rt.name, s.opts.Now().UTC())
		return
	}

	body, err := readBody(r)
	if err != nil {
		return // client went away
	}
	s.mu.Lock()
	s.expireLocked()
	c := &call{r: r, route: rt.name, p: params, body: body}
	var rp reply
	who, aerr := s.authenticate(r)
	if aerr != nil {
		rp = errReply(http.StatusUnauthorized, "AuthenticationFailed", aerr.Error())
	} else {
		c.who = who
		rp = rt.h(s, c) // may release and re-take s.mu (claimWork long-poll)
	}
	fault := ""
	if f.kind == faultAfter && rp.status < 400 {
		fault = faultAfter
		rp = errReply(http.StatusInternalServerError, "InternalServerError", "tcfake: injected fault after handling (state changed)")
	}
	clientID := ""
	if c.who != nil {
		clientID = c.who.clientID
	}
	s.recordLocked(rt.name, r, params, clientID, c.who, rp.status, fault)
	now := s.now()
	s.mu.Unlock()
	s.opts.Logger.Debug("tcfake request", "route", rt.name, "status", rp.status, "client", clientID, "fault", fault)
	if r.Method == http.MethodHead {
		rp.raw, rp.body = nil, nil
	}
	if f.replyDelay > 0 {
		// The state change is committed; a client that gives up now loses
		// the answer, as with a real service.
		select {
		case <-r.Context().Done():
			return
		case <-afterReal(f.replyDelay):
		}
	}
	rp.write(w, rt.name, now)
}

func (s *Server) record(route string, r *http.Request, p map[string]string, clientID string, status int, fault string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(route, r, p, clientID, nil, status, fault)
}

// recordLocked appends to the call log. Caller holds s.mu.
func (s *Server) recordLocked(route string, r *http.Request, p map[string]string, clientID string, who *principal, status int, fault string) {
	c := Call{
		Seq:      len(s.calls),
		Route:    route,
		Method:   r.Method,
		Path:     r.URL.Path,
		ClientID: clientID,
		CredGen:  -1,
		Status:   status,
		Fault:    fault,
		TaskID:   p["taskId"],
		RunID:    -1,
	}
	if n, err := strconv.Atoi(p["runId"]); err == nil {
		c.RunID = n
	}
	if who != nil && who.seed != "" {
		if g, ok := s.credGen[who.seed]; ok {
			c.CredGen = g
		}
	}
	s.calls = append(s.calls, c)
}

// authorize checks the caller holds every scope of at least one alternative;
// it returns a 403 reply otherwise. Caller holds s.mu.
func authorize(c *call, alternatives ...[]string) (reply, bool) {
	var have []string
	id := "anonymous"
	if c.who != nil {
		have, id = c.who.scopes, c.who.clientID
	}
	if anyOf(have, alternatives...) {
		return reply{}, true
	}
	return errReply(http.StatusForbidden, "InsufficientScopes",
		"tcfake: client "+strconv.Quote(id)+" lacks scopes for "+c.route+"; need any of "+fmtAlts(alternatives)), false
}

func fmtAlts(alts [][]string) string {
	parts := make([]string, len(alts))
	for i, a := range alts {
		parts[i] = "[" + strings.Join(a, " AND ") + "]"
	}
	return strings.Join(parts, " OR ")
}

func badInput(msg string) reply { return errReply(http.StatusBadRequest, "InputError", msg) }

func notFound(msg string) reply {
	return errReply(http.StatusNotFound, "ResourceNotFound", msg)
}

func conflict(msg string) reply {
	return errReply(http.StatusConflict, "RequestConflict", msg)
}
