package translate

import (
	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/plan"
)

// argv renders the plan's docker run options (dockerrun, the one builder
// of both targets) as d2g's docker run command, byte for byte upstream's
// (§2.2): its spellings (`-v x`, `--memory-swap -1`, `--gpus x`), the
// generic-worker placeholders for what is known only on the worker, env
// as `-e` pairs and env.list.
func argv(pl *plan.Plan, containerName string, env []dockerrun.Opt) []string {
	var buf [32]dockerrun.Opt
	opts := dockerrun.Append(buf[:0], pl)
	opts = append(opts, env...)
	opts = append(opts, envListOpt)
	a := make([]string, 0, 2+2*len(opts)+2+len(pl.Command))
	a = append(a, "docker", "run")
	for _, o := range opts {
		switch o.Flag {
		case dockerrun.Name:
			a = append(a, "--name", containerName)
		case dockerrun.Memory, dockerrun.MemorySwap, dockerrun.PidsLimit, dockerrun.GPUs, dockerrun.EnvFile:
			a = append(a, o.Flag.String(), o.Value)
		case dockerrun.Volume:
			a = append(a, "-v", PlaceholderTaskDir+"/"+o.Dir+":"+o.Value)
		case dockerrun.HostVolume:
			a = append(a, "-v", o.Value)
		case dockerrun.Env:
			a = append(a, "-e", o.Value)
		case dockerrun.VideoDevice:
			a = append(a, "--device="+PlaceholderVideoDevice)
		case dockerrun.ProxyNetwork:
			a = append(a, "--network", PlaceholderNetwork)
		case dockerrun.ProxyHost:
			a = append(a, "--add-host=taskcluster:"+PlaceholderProxyGateway)
		case dockerrun.ShmSize:
			// d2g leaves docker's default /dev/shm (the plan keeps
			// docker-worker's size).
		default:
			a = append(a, o.Arg())
		}
	}
	a = append(a, "--")
	if pl.Image.Kind == plan.ImageNamed {
		a = append(a, pl.Image.Ref)
	} else {
		a = append(a, PlaceholderImageID)
	}
	return append(a, pl.Command...)
}

var envListOpt = dockerrun.Opt{Flag: dockerrun.EnvFile, Value: "env.list"}
