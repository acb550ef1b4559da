package worker

import "testing"

func TestRegistryAuth(t *testing.T) {
	auth := RegistryAuth(map[string]RegistryCredentials{
		"registry.example.com":          {Username: "host", Password: "p1"},
		"registry.example.com/team":     {Username: "team", Password: "p2"},
		"registry.hub.docker.com/mozil": {Username: "hub", Password: "p3"},
		"127.0.0.1:5001/":               {Username: "local", Password: "p4"},
	})
	for repo, want := range map[string]string{
		"registry.example.com/team/app":  "team",
		"registry.example.com/other/app": "host",
		"docker.io/mozil/image":          "hub",
		"docker.io/library/ubuntu":       "",
		"127.0.0.1:5001/dwshim/private":  "local",
		"elsewhere.example.com/team/app": "",
	} {
		if u, _ := auth(repo); u != want {
			t.Errorf("%s: user %q, want %q", repo, u, want)
		}
	}
	if s := (RegistryCredentials{Username: "u", Password: "secret"}).String(); s != "u:<redacted>" {
		t.Errorf("String() = %q", s)
	}
}
