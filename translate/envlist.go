package translate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/plan"
)

// passThrough are env.list names docker copies from the docker CLI's env.
var passThrough = []string{"RUN_ID", "TASKCLUSTER_INSTANCE_TYPE", "TASKCLUSTER_ROOT_URL", "TASKCLUSTER_WORKER_LOCATION", "TASK_GROUP_ID", "TASK_ID"}

// envList builds EnvList and returns the env options of the docker run
// command for the variables env.list cannot hold (§2.3). Lines are sorted
// as the byte strings "NAME=VALUE" (or "NAME" for pass-through names)
// without building them first; the text is written once.
func (d *d2gBuild) envList() []dockerrun.Opt {
	pl := d.pl
	lines := make([]envLine, 0, len(pl.Env)+len(passThrough)+2)
	size := 0
	var args []dockerrun.Opt
	for _, e := range pl.Env {
		n, v := e.Name, e.Value
		if !inEnvFile(n, v) {
			args = append(args, dockerrun.Opt{Flag: dockerrun.Env, Value: n + "=" + v})
			continue
		}
		lines = append(lines, envLine{n, v, false})
		size += len(n) + len(v) + 2
	}
	bare := func(n string) {
		lines = append(lines, envLine{n, "", true})
		size += len(n) + 1
	}
	for _, n := range passThrough {
		bare(n)
	}
	if pl.Features.TaskclusterProxy {
		bare("TASKCLUSTER_PROXY_URL")
	}
	if hasDevice(pl, plan.DeviceLoopbackVideo) {
		bare("TASKCLUSTER_VIDEO_DEVICE")
	}
	slices.SortFunc(lines, compareEnvLines)
	var sb strings.Builder
	sb.Grow(size)
	for _, l := range lines {
		sb.WriteString(l.name)
		if !l.bare {
			sb.WriteByte('=')
			sb.WriteString(l.value)
		}
		sb.WriteByte('\n')
	}
	d.res.EnvList = sb.String()
	return args
}

// inEnvFile says whether d2g writes the variable to env.list (otherwise
// it is a "-e" argument: values with newlines, long lines).
func inEnvFile(name, value string) bool {
	return !strings.Contains(value, "\n") && len(name)+1+len(value) <= maxEnvFileLine
}

// envLine is one env.list line: "name=value", or "name" when bare.
type envLine struct {
	name, value string
	bare        bool
}

// segs returns the line as up to three segments.
func (l *envLine) segs() ([3]string, int) {
	if l.bare {
		return [3]string{l.name}, 1
	}
	return [3]string{l.name, "=", l.value}, 3
}

// compareEnvLines compares two lines as the byte strings they render to.
func compareEnvLines(a, b envLine) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return compareEnvTails(a, b)
}

// compareEnvTails compares lines whose names are equal or one a prefix of
// the other, segment by segment.
func compareEnvTails(a, b envLine) int {
	as, na := a.segs()
	bs, nb := b.segs()
	i, j := 0, 0 // segment indices
	x, y := as[0], bs[0]
	for {
		for x == "" && i+1 < na {
			i++
			x = as[i]
		}
		for y == "" && j+1 < nb {
			j++
			y = bs[j]
		}
		if x == "" || y == "" {
			return cmp.Compare(len(x), len(y))
		}
		k := min(len(x), len(y))
		if c := strings.Compare(x[:k], y[:k]); c != 0 {
			return c
		}
		x, y = x[k:], y[k:]
	}
}

func hasDevice(pl *plan.Plan, k plan.DeviceKind) bool {
	return slices.ContainsFunc(pl.Capabilities.Devices, func(d plan.Device) bool { return d.Kind == k })
}
