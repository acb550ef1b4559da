package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

func TestDockerCredentials(t *testing.T) {
	dir := t.TempDir()
	// A credential helper speaking the protocol, for one registry.
	helper := filepath.Join(dir, "docker-credential-dwshimtest")
	script := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n[ \"$server\" = helped.example.com ] || exit 1\necho '{\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}'\n"
	if err := os.WriteFile(helper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	cfg := map[string]any{
		"auths": map[string]any{
			"registry.example.com":        map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("u1:p1"))},
			"https://index.docker.io/v1/": map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("hub:p2"))},
		},
		"credHelpers": map[string]string{"helped.example.com": "dwshimtest"},
	}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "config.json")
	os.WriteFile(path, b, 0o600)
	auth := dockerCredentials(path)
	for repo, want := range map[string]string{
		"registry.example.com/team/app": "u1:p1",
		"docker.io/library/ubuntu":      "hub:p2",
		"helped.example.com/x/y":        "helper-user:helper-secret",
		"other.example.com/x":           ":",
	} {
		if u, p := auth(repo); u+":"+p != want {
			t.Errorf("%s: %s:%s, want %s", repo, u, p, want)
		}
	}
	if u, p := dockerCredentials(filepath.Join(dir, "missing.json"))("registry.example.com/x"); u != "" || p != "" {
		t.Errorf("missing config: %s:%s", u, p)
	}
}

// TestLocalPrivateRegistry: `dwshim local` pulls from a registry with
// htpasswd auth using the user's Docker config, and prints no password.
func TestLocalPrivateRegistry(t *testing.T) {
	labelLocal(t)
	const user, pass = "dwshim", "local-registry-pass"
	addr := testenv.StartAuthRegistry(t, user, pass)
	ref := addr + "/dwshim-test/local-private:latest"
	cfgDir := testenv.PushPrivate(t, addr, user, pass, localTestImage, ref)
	payload := `{"image": "` + ref + `", "maxRunTime": 60, "command": ["echo", "from-private"]}`
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials: refused
	if code, out, _ := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "-"); code == 0 {
		t.Fatalf("pulled without credentials:\n%s", out)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	code, out, stderr := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "-")
	if code != 0 || !strings.Contains(out, "from-private") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, pass) {
		t.Errorf("the password was printed:\n%s\n%s", out, stderr)
	}
}
