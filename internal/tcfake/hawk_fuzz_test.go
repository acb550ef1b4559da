package tcfake

import (
	"net/http/httptest"
	"testing"
)

// FuzzAuthenticate feeds arbitrary Authorization headers to the Hawk checker:
// it must never panic, and never accept a request it cannot verify.
func FuzzAuthenticate(f *testing.F) {
	f.Add(`Hawk id="worker", ts="1700000000", nonce="abcdefgh", mac="AAAA"`)
	f.Add(`Hawk id="task-client/T/0/on/g/w", ts="1", nonce="n", ext="eyJjZXJ0aWZpY2F0ZSI6e319", mac="x"`)
	f.Add(`Hawk id="a", ts="1", nonce="n", ext="!!", mac="m", hash="h"`)
	f.Add(`hawk id="unterminated`)
	f.Add(`Bearer xyz`)
	f.Fuzz(func(t *testing.T, header string) {
		s := New(Options{Seed: 1})
		s.AddClient("worker", "token", "*")
		r := httptest.NewRequest("GET", "http://127.0.0.1:1234/api/queue/v1/ping", nil)
		r.Header.Set("Authorization", header)
		s.mu.Lock()
		who, err := s.authenticate(r)
		s.mu.Unlock()
		if header != "" && err == nil && who != nil {
			t.Fatalf("unverifiable header %q authenticated as %q", header, who.clientID)
		}
	})
}
