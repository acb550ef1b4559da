package tcfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
)

var miscRoutes = []route{
	{"index.findTask", "GET", "index", []string{"task", ":namespace"}, (*Server).findTask},
	{"index.findArtifactFromTask", "GET", "index", []string{"task", ":namespace", "artifacts", ":name*"}, (*Server).findArtifactFromTask},
	{"auth.expandScopes", "POST", "auth", []string{"scopes", "expand"}, (*Server).expandScopes},
	{"auth.currentScopes", "GET", "auth", []string{"scopes", "current"}, (*Server).currentScopes},
	{"queue.ping", "GET", "queue", []string{"ping"}, ping},
	{"object.ping", "GET", "object", []string{"ping"}, ping},
	{"index.ping", "GET", "index", []string{"ping"}, ping},
	{"auth.ping", "GET", "auth", []string{"ping"}, ping},
}

func ping(*Server, *call) reply { return ok(map[string]any{"alive": true}) }

// InsertIndex points namespace at taskID (index.insertTask, simplified).
func (s *Server) InsertIndex(namespace, taskID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index[namespace] = taskID
}

func (s *Server) findTask(c *call) reply {
	ns := c.p["namespace"]
	id, okn := s.index[ns]
	if !okn {
		return notFound("indexed task not found: " + ns)
	}
	exp := s.now().AddDate(1, 0, 0)
	if t, okt := s.tasks[id]; okt {
		exp = t.expires
	}
	return ok(map[string]any{"namespace": ns, "taskId": id, "rank": 0,
		"data": map[string]any{}, "expires": fmtTime(exp)})
}

func (s *Server) findArtifactFromTask(c *call) reply {
	ns := c.p["namespace"]
	id, okn := s.index[ns]
	if !okn {
		return notFound("indexed task not found: " + ns)
	}
	loc := s.RootURL() + "/api/queue/v1/task/" + url.QueryEscape(id) + "/artifacts/" + url.QueryEscape(c.p["name"])
	return reply{status: http.StatusSeeOther, header: http.Header{"Location": {loc}}}
}

func (s *Server) expandScopes(c *call) reply {
	var req struct {
		Scopes []string `json:"scopes"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("expandScopes payload: " + err.Error())
	}
	return ok(map[string]any{"scopes": s.expand(req.Scopes)})
}

func (s *Server) currentScopes(c *call) reply {
	scopes := []string{}
	if c.who != nil {
		scopes = append(scopes, c.who.scopes...)
	}
	sort.Strings(scopes)
	return ok(map[string]any{"scopes": scopes})
}
