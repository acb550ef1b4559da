package tcfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"
)

// auth.websocktunnelToken, as the auth service issues it: an HS256 JWT
// with tid (the tunnel client id), aud (the websocktunnel audience), nbf,
// iat and exp, signed with the secret the websocktunnel server shares.

func init() {
	routes = append(routes, route{"auth.websocktunnelToken", "GET", "auth", []string{"websocktunnel", ":wstAudience", ":wstClient"}, (*Server).websocktunnelToken})
}

// SetWebsocktunnelSecret sets the secret websocktunnel tokens are signed
// with (the server's JWT secret). Without it the endpoint answers 500.
func (s *Server) SetWebsocktunnelSecret(secret []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wstSecret = append([]byte(nil), secret...)
}

func (s *Server) websocktunnelToken(c *call) reply {
	aud, id := c.p["wstAudience"], c.p["wstClient"]
	if rp, okz := authorize(c, []string{"auth:websocktunnel-token:" + aud + "/" + id}); !okz {
		return rp
	}
	if len(s.wstSecret) == 0 {
		return errReply(500, "InternalServerError", "tcfake: no websocktunnel secret (SetWebsocktunnelSecret)")
	}
	now := s.now()
	exp := now.Add(96 * time.Hour)
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"tid": id, "aud": aud, "iat": now.Unix(), "nbf": now.Add(-15 * time.Minute).Unix(), "exp": exp.Unix()})
	signing := enc.EncodeToString(head) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, s.wstSecret)
	mac.Write([]byte(signing))
	token := signing + "." + enc.EncodeToString(mac.Sum(nil))
	return ok(map[string]any{"wstAudience": aud, "wstClient": id, "token": token, "expires": fmtTime(exp)})
}
