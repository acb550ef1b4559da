package tcfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hawkHeader is a parsed `Authorization: Hawk ...` header.
type hawkHeader struct {
	id, ts, nonce, hash, ext, mac string
}

// certificate mirrors the temporary-credentials certificate that client-go
// (tcclient.Certificate) puts in the Hawk ext field.
type certificate struct {
	Version   int      `json:"version"`
	Scopes    []string `json:"scopes"`
	Start     int64    `json:"start"`
	Expiry    int64    `json:"expiry"`
	Seed      string   `json:"seed"`
	Signature string   `json:"signature"`
	Issuer    string   `json:"issuer,omitempty"`
}

type extHeader struct {
	Certificate      json.RawMessage `json:"certificate,omitempty"`
	AuthorizedScopes *[]string       `json:"authorizedScopes,omitempty"`
}

// principal is the authenticated caller of one request.
type principal struct {
	clientID string
	scopes   []string // expanded (roles applied)
	temp     bool
	seed     string // certificate seed of temporary credentials
}

var errAuth = errors.New("authentication failed")

func parseHawk(h string) (hawkHeader, error) {
	var out hawkHeader
	if len(h) < 5 || !strings.EqualFold(h[:5], "hawk ") {
		return out, fmt.Errorf("%w: authorization scheme must be Hawk", errAuth)
	}
	rest := strings.TrimSpace(h[5:])
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
			return out, fmt.Errorf("%w: malformed Hawk header", errAuth)
		}
		key := strings.TrimSpace(rest[:eq])
		end := strings.IndexByte(rest[eq+2:], '"')
		if end < 0 {
			return out, fmt.Errorf("%w: unterminated Hawk attribute %q", errAuth, key)
		}
		val := rest[eq+2 : eq+2+end]
		rest = strings.TrimLeft(rest[eq+2+end+1:], ", ")
		switch key {
		case "id":
			out.id = val
		case "ts":
			out.ts = val
		case "nonce":
			out.nonce = val
		case "hash":
			out.hash = val
		case "ext":
			out.ext = val
		case "mac":
			out.mac = val
		case "app", "dlg":
			return out, fmt.Errorf("%w: Hawk app/dlg are not supported", errAuth)
		default:
			return out, fmt.Errorf("%w: unknown Hawk attribute %q", errAuth, key)
		}
	}
	if out.id == "" || out.ts == "" || out.nonce == "" || out.mac == "" {
		return out, fmt.Errorf("%w: Hawk header lacks id, ts, nonce or mac", errAuth)
	}
	return out, nil
}

// hostPort returns the host and port a client signed, as hawk-go derives them
// from the request's Host.
func hostPort(r *http.Request) (string, string) {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		return r.Host, "80"
	}
	return host, port
}

// hawkMAC computes the Hawk 1 header MAC over the normalized request string.
func hawkMAC(key string, h hawkHeader, method, uri, host, port string) string {
	s := "hawk.1.header\n" + h.ts + "\n" + h.nonce + "\n" + method + "\n" + uri + "\n" +
		host + "\n" + port + "\n" + h.hash + "\n" + h.ext + "\n"
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// tempAccessToken derives the access token of temporary credentials, exactly
// as client-go does: unpadded base64url(HMAC-SHA256(issuerToken, seed)).
func tempAccessToken(issuerToken, seed string) string {
	m := hmac.New(sha256.New, []byte(issuerToken))
	m.Write([]byte(seed))
	return strings.TrimRight(base64.URLEncoding.EncodeToString(m.Sum(nil)), "=")
}

// certSignature signs a certificate the way tcclient.Certificate.Sign does.
func certSignature(c *certificate, issuerToken, tempClientID string) string {
	lines := []string{"version:" + strconv.Itoa(c.Version)}
	if c.Issuer != "" {
		lines = append(lines, "clientId:"+tempClientID, "issuer:"+c.Issuer)
	}
	lines = append(lines, "seed:"+c.Seed, "start:"+strconv.FormatInt(c.Start, 10),
		"expiry:"+strconv.FormatInt(c.Expiry, 10), "scopes:")
	lines = append(lines, c.Scopes...)
	m := hmac.New(sha256.New, []byte(issuerToken))
	m.Write([]byte(strings.Join(lines, "\n")))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authenticate verifies the Hawk header of r and returns the caller. A request
// without an Authorization header is anonymous (nil principal, nil error).
// Caller holds s.mu.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, nil
	}
	h, err := parseHawk(raw)
	if err != nil {
		return nil, err
	}
	ts, err := strconv.ParseInt(h.ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: bad Hawk ts %q", errAuth, h.ts)
	}
	now := s.now()
	if s.opts.MaxSkew > 0 {
		d := now.Sub(time.Unix(ts, 0))
		if d > s.opts.MaxSkew || -d > s.opts.MaxSkew {
			return nil, fmt.Errorf("%w: stale Hawk timestamp", errAuth)
		}
	}
	nonceKey := h.id + "\x00" + h.ts + "\x00" + h.nonce
	if _, seen := s.nonces[nonceKey]; seen {
		return nil, fmt.Errorf("%w: replayed Hawk nonce", errAuth)
	}

	var ext extHeader
	if h.ext != "" {
		b, err := base64.StdEncoding.DecodeString(h.ext)
		if err != nil {
			return nil, fmt.Errorf("%w: ext is not base64: %v", errAuth, err)
		}
		if err := json.Unmarshal(b, &ext); err != nil {
			return nil, fmt.Errorf("%w: ext is not JSON: %v", errAuth, err)
		}
	}

	var key, seed string
	var scopes []string
	temp := false
	if len(ext.Certificate) > 0 {
		key, scopes, seed, err = s.verifyCertificate(h.id, ext.Certificate, now)
		if err != nil {
			return nil, err
		}
		temp = true
	} else {
		c, ok := s.clients[h.id]
		if !ok {
			return nil, fmt.Errorf("%w: unknown clientId %q", errAuth, h.id)
		}
		key, scopes = c.token, c.scopes
	}

	host, port := hostPort(r)
	want := hawkMAC(key, h, r.Method, r.RequestURI, host, port)
	if !hmac.Equal([]byte(want), []byte(h.mac)) {
		return nil, fmt.Errorf("%w: bad Hawk mac for clientId %q (wrong accessToken?)", errAuth, h.id)
	}
	// A payload hash, when present, is covered by the MAC but not checked
	// against the body (client-go never sends one).
	s.nonces[nonceKey] = struct{}{}

	scopes = s.expand(scopes)
	if ext.AuthorizedScopes != nil {
		for _, a := range *ext.AuthorizedScopes {
			if !satisfied(scopes, a) {
				return nil, fmt.Errorf("%w: authorizedScopes %q not held by %q", errAuth, a, h.id)
			}
		}
		scopes = s.expand(*ext.AuthorizedScopes)
	}
	return &principal{clientID: h.id, scopes: scopes, temp: temp, seed: seed}, nil
}

// verifyCertificate checks a temporary-credentials certificate presented by
// clientID and returns the derived access token and the certificate scopes.
func (s *Server) verifyCertificate(clientID string, raw json.RawMessage, now time.Time) (token string, scopes []string, seed string, err error) {
	var c certificate
	if err = json.Unmarshal(raw, &c); err != nil {
		return "", nil, "", fmt.Errorf("%w: certificate is not JSON: %v", errAuth, err)
	}
	if c.Version != 1 {
		return "", nil, "", fmt.Errorf("%w: certificate version %d unsupported", errAuth, c.Version)
	}
	issuerID := clientID
	if c.Issuer != "" {
		issuerID = c.Issuer
		if issuerID == clientID {
			return "", nil, "", fmt.Errorf("%w: certificate issuer must differ from clientId", errAuth)
		}
	}
	issuer, ok := s.clients[issuerID]
	if !ok {
		return "", nil, "", fmt.Errorf("%w: certificate issuer %q unknown", errAuth, issuerID)
	}
	want := certSignature(&c, issuer.token, clientID)
	if !hmac.Equal([]byte(want), []byte(c.Signature)) {
		return "", nil, "", fmt.Errorf("%w: certificate signature invalid", errAuth)
	}
	// Like the auth service, allow 5 minutes of clock skew either side.
	skew := int64(5 * time.Minute / time.Millisecond)
	ms := now.UnixMilli()
	if c.Start-skew > ms {
		return "", nil, "", fmt.Errorf("%w: certificate not yet valid", errAuth)
	}
	if c.Expiry+skew < ms {
		return "", nil, "", fmt.Errorf("%w: certificate expired", errAuth)
	}
	if time.Duration(c.Expiry-c.Start)*time.Millisecond > 31*24*time.Hour {
		return "", nil, "", fmt.Errorf("%w: certificate valid for more than 31 days", errAuth)
	}
	issuerScopes := s.expand(issuer.scopes)
	for _, sc := range c.Scopes {
		if !satisfied(issuerScopes, sc) {
			return "", nil, "", fmt.Errorf("%w: issuer %q lacks certificate scope %q", errAuth, issuerID, sc)
		}
	}
	return tempAccessToken(issuer.token, c.Seed), c.Scopes, c.Seed, nil
}

// issueTemp creates named temporary credentials signed by the fake queue's own
// issuer client, as the real queue does for claimed tasks. Caller holds s.mu.
func (s *Server) issueTemp(clientID string, start, expiry time.Time, scopes []string) Credentials {
	issuer := s.clients[issuerClientID]
	c := &certificate{
		Version: 1,
		Scopes:  append([]string{}, scopes...),
		Start:   start.UnixMilli(),
		Expiry:  expiry.UnixMilli(),
		Seed:    s.slug() + s.slug(),
		Issuer:  issuerClientID,
	}
	c.Signature = certSignature(c, issuer.token, clientID)
	b, _ := json.Marshal(c) // plain struct: cannot fail
	return Credentials{
		ClientID:    clientID,
		AccessToken: tempAccessToken(issuer.token, c.Seed),
		Certificate: string(b),
	}
}
