package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// dockerConfigPath is the user's Docker client config: $DOCKER_CONFIG/
// config.json, else ~/.docker/config.json.
func dockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}

// dockerConfig is the part of the Docker client config that holds
// registry credentials.
type dockerConfig struct {
	Auths map[string]struct {
		Auth     string `json:"auth"`
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"auths"`
	CredHelpers map[string]string `json:"credHelpers"`
	CredsStore  string            `json:"credsStore"`
}

// dockerCredentials is runner.Task.RegistryAuth from the user's Docker
// config, as `docker pull` finds credentials: the registry's credential
// helper (credHelpers), else the default store (credsStore), else the
// auths entry. A missing or unreadable config means anonymous pulls.
// Credentials are passed to the daemon only and never logged.
func dockerCredentials(path string) func(repository string) (string, string) {
	var cfg dockerConfig
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &cfg)
	}
	return func(repository string) (string, string) {
		host, _, _ := strings.Cut(repository, "/")
		keys := []string{host, "https://" + host, "http://" + host, "https://" + host + "/v1/", "https://" + host + "/v2/"}
		if host == "docker.io" {
			keys = []string{"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"}
		}
		for _, k := range keys {
			if h := cfg.CredHelpers[k]; h != "" {
				return helperCredentials(h, k)
			}
		}
		if cfg.CredsStore != "" {
			if u, p := helperCredentials(cfg.CredsStore, keys[0]); u != "" || p != "" {
				return u, p
			}
		}
		for _, k := range keys {
			a, ok := cfg.Auths[k]
			if !ok {
				continue
			}
			if a.Username != "" || a.Password != "" {
				return a.Username, a.Password
			}
			if raw, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
				u, p, _ := strings.Cut(string(raw), ":")
				return u, p
			}
		}
		return "", ""
	}
}

// helperCredentials asks docker-credential-<helper> for server's
// credentials (the credential-helper protocol: "get", the server on
// stdin, {"Username","Secret"} on stdout). Errors mean none.
func helperCredentials(helper, server string) (string, string) {
	cmd := exec.Command("docker-credential-"+helper, "get")
	cmd.Stdin = strings.NewReader(server)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", ""
	}
	var c struct{ Username, Secret string }
	if json.Unmarshal(out.Bytes(), &c) != nil {
		return "", ""
	}
	return c.Username, c.Secret
}
