package worker

import "strings"

// dockerHubAliases name Docker Hub in registries keys (docker-worker's
// default registry was registry.hub.docker.com).
var dockerHubAliases = []string{"docker.io", "index.docker.io", "registry.hub.docker.com", "registry-1.docker.io"}

// RegistryAuth is runner.Task.RegistryAuth for the registries config, as
// docker-worker matched it: for repository "<host>/<user>/<image>", the key
// "<host>/<user>" wins over "<host>/" or "<host>".
func RegistryAuth(regs map[string]RegistryCredentials) func(repository string) (string, string) {
	return func(repository string) (string, string) {
		host, rest, _ := strings.Cut(repository, "/")
		user, _, _ := strings.Cut(rest, "/")
		hosts := []string{host}
		if host == "docker.io" {
			hosts = dockerHubAliases
		}
		for _, h := range hosts {
			if c, ok := regs[h+"/"+user]; ok && user != "" {
				return c.Username, c.Password
			}
		}
		for _, h := range hosts {
			for _, k := range []string{h + "/", h} {
				if c, ok := regs[k]; ok {
					return c.Username, c.Password
				}
			}
		}
		return "", ""
	}
}
