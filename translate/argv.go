package translate

import (
	"path/filepath"
	"strconv"
)

// argv builds the docker run command in upstream's exact order (§2.2).
func (t *translator) argv(g grants, cacheNames, artNames []string, envArgs []string) []string {
	p := t.p
	n := 24 + 2*len(cacheNames) + 2*len(artNames) + len(t.cfg.NvidiaDevices) + len(envArgs) + len(p.Command)
	a := make([]string, 0, n)
	a = append(a, "docker", "run", "-t", "--name", t.res.ContainerName,
		"--memory-swap", "-1", "--pids-limit", "-1", "--pull=never", "--log-driver=none")
	switch {
	case g.privileged:
		a = append(a, "--privileged")
	case g.ptrace:
		a = append(a, "--cap-add=SYS_PTRACE")
	}
	if g.seccomp {
		a = append(a, "--security-opt=seccomp=unconfined")
	}
	a = append(a, "--add-host=localhost.localdomain:127.0.0.1")
	for i, name := range cacheNames {
		a = append(a, "-v", PlaceholderTaskDir+"/cache"+strconv.Itoa(i)+":"+p.Cache[name])
	}
	if p.Features.Artifacts {
		for i, name := range artNames {
			art := p.Artifacts[name]
			if art.Type == "volume" {
				a = append(a, "-v", PlaceholderTaskDir+"/volume"+strconv.Itoa(i)+filepath.Ext(art.Path)+":"+art.Path)
			}
		}
	}
	if g.kvm {
		a = append(a, "--device=/dev/kvm")
	}
	if g.shm {
		a = append(a, "-v", "/dev/shm:/dev/shm")
	}
	if g.video {
		a = append(a, "--device="+PlaceholderVideoDevice)
	}
	if g.audio {
		a = append(a, "--device=/dev/snd")
	}
	if g.proxy {
		a = append(a, "--network", PlaceholderNetwork, "--add-host=taskcluster:"+PlaceholderProxyGateway)
	}
	if g.gp {
		a = append(a, "--gpus", t.cfg.GPUs)
		for _, d := range sortedCopy(t.cfg.NvidiaDevices) {
			a = append(a, "--device=/dev/"+d)
		}
	}
	a = append(a, envArgs...)
	a = append(a, "--env-file", "env.list", "--")
	switch p.Image.Kind {
	case ImageString, ImageDockerImage:
		a = append(a, p.Image.Name)
	default:
		a = append(a, PlaceholderImageID)
	}
	return append(a, p.Command...)
}
