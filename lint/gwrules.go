package lint

import (
	"fmt"
	"sort"
	"time"

	"github.com/dwshim/dwshim/gwconfig"
	"github.com/dwshim/dwshim/internal/jsonptr"
	"github.com/dwshim/dwshim/translate"
)

// Rules for what generic-worker itself rejects in d2g's output, beyond
// the payload schema (spec §8, §9.8): features the pool's generic-worker
// config turns off, and artifact expiries before the task's deadline.
const (
	// RuleFeatureDisabled: d2g's payload asks for a generic-worker feature
	// the pool's config disables; generic-worker fails the task
	// ("feature not enabled").
	RuleFeatureDisabled = "feature-disabled"
	// RuleArtifactExpires: an artifact expires before the task's deadline;
	// generic-worker refuses it as malformed-payload.
	RuleArtifactExpires = "artifact-expires"
)

func init() {
	Rules = append(Rules,
		Rule{RuleFeatureDisabled, Error, "d2g's output uses a generic-worker feature the pool's config disables (enableTaskclusterProxy, enableMounts, enableOSGroups, enableChainOfTrust, enableInteractive, enableLoopbackVideo, enableLoopbackAudio set to false): generic-worker fails the task."},
		Rule{RuleArtifactExpires, Error, "An artifact's expires is before the task's deadline: generic-worker refuses the payload (malformed-payload)."},
	)
}

// gwFeature is one generic-worker feature d2g's output may use.
type gwFeature struct {
	key  string                        // generic-worker config key enabling it
	on   func(c *gwconfig.Config) bool // the key's value
	used func(p *translate.DockerWorkerPayload, c translate.Config) (pointer string, why string)
}

var gwFeatures = []gwFeature{
	{"enableTaskclusterProxy", func(c *gwconfig.Config) bool { return c.EnableTaskclusterProxy }, func(p *translate.DockerWorkerPayload, c translate.Config) (string, string) {
		if p.Image.Kind == translate.ImageIndexed {
			return "/image", "an indexed-image makes d2g turn on the taskclusterProxy feature"
		}
		if p.Features.TaskclusterProxy && c.AllowTaskclusterProxy {
			return "/features/taskclusterProxy", "features.taskclusterProxy becomes generic-worker's taskclusterProxy feature"
		}
		return "", ""
	}},
	{"enableMounts", func(c *gwconfig.Config) bool { return c.EnableMounts }, func(p *translate.DockerWorkerPayload, _ translate.Config) (string, string) {
		if p.Image.Kind == translate.ImageIndexed || p.Image.Kind == translate.ImageTask {
			return "/image", "d2g fetches a " + string(p.Image.Kind) + " through generic-worker's mounts"
		}
		return "", ""
	}},
	{"enableOSGroups", func(c *gwconfig.Config) bool { return c.EnableOSGroups }, func(p *translate.DockerWorkerPayload, _ translate.Config) (string, string) {
		return "", "d2g always puts the task user in the docker group (osGroups)"
	}},
	{"enableChainOfTrust", func(c *gwconfig.Config) bool { return c.EnableChainOfTrust }, func(p *translate.DockerWorkerPayload, c translate.Config) (string, string) {
		if p.Features.ChainOfTrust && c.AllowChainOfTrust {
			return "/features/chainOfTrust", "features.chainOfTrust becomes generic-worker's chainOfTrust feature"
		}
		return "", ""
	}},
	{"enableInteractive", func(c *gwconfig.Config) bool { return c.EnableInteractive }, func(p *translate.DockerWorkerPayload, c translate.Config) (string, string) {
		if p.Features.Interactive && c.AllowInteractive {
			return "/features/interactive", "features.interactive becomes generic-worker's interactive feature"
		}
		return "", ""
	}},
	{"enableLoopbackVideo", func(c *gwconfig.Config) bool { return c.EnableLoopbackVideo }, func(p *translate.DockerWorkerPayload, c translate.Config) (string, string) {
		if p.Capabilities.Devices.LoopbackVideo && c.AllowLoopbackVideo {
			return "/capabilities/devices/loopbackVideo", "devices.loopbackVideo becomes generic-worker's loopbackVideo feature"
		}
		return "", ""
	}},
	{"enableLoopbackAudio", func(c *gwconfig.Config) bool { return c.EnableLoopbackAudio }, func(p *translate.DockerWorkerPayload, c translate.Config) (string, string) {
		if p.Capabilities.Devices.LoopbackAudio && c.AllowLoopbackAudio {
			return "/capabilities/devices/loopbackAudio", "devices.loopbackAudio becomes generic-worker's loopbackAudio feature"
		}
		return "", ""
	}},
}

// GWFeatureKeys are the generic-worker config keys OptionsFor reads into
// Options.DisabledFeatures.
func GWFeatureKeys() []string {
	keys := make([]string, len(gwFeatures))
	for i, f := range gwFeatures {
		keys[i] = f.key
	}
	return keys
}

// checkGenericWorker runs the checks of what generic-worker rejects in
// d2g's output.
func (l *Linter) checkGenericWorker(t *task, p *translate.DockerWorkerPayload) {
	for _, f := range gwFeatures {
		if !l.opts.DisabledFeatures[f.key] {
			continue
		}
		ptr, why := f.used(p, l.opts.Config)
		if why == "" {
			continue
		}
		t.add(RuleFeatureDisabled, Error, t.prefix+ptr, fmt.Sprintf(
			"%s, which the pool disables (%s: false): generic-worker would fail the task; run it on a pool that enables it", why, f.key))
	}
	if t.isDef {
		t.checkArtifactDeadline(p)
	}
}

// checkArtifactDeadline reports artifacts expiring before the task's
// deadline (generic-worker allows 1 s of slack).
func (t *task) checkArtifactDeadline(p *translate.DockerWorkerPayload) {
	if len(p.Artifacts) == 0 {
		return
	}
	if t.deadline == "" {
		return
	}
	deadline, err := time.Parse(time.RFC3339Nano, t.deadline)
	if err != nil {
		return
	}
	names := make([]string, 0, len(p.Artifacts))
	for n := range p.Artifacts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := p.Artifacts[n].Expires
		if e == "" {
			continue
		}
		exp, err := time.Parse(time.RFC3339Nano, e)
		if err != nil || !exp.Before(deadline.Add(-time.Second)) {
			continue
		}
		t.add(RuleArtifactExpires, Error, t.prefix+"/artifacts/"+jsonptr.Escape(n)+"/expires", fmt.Sprintf(
			"the artifact expires (%s) before the task's deadline (%s): generic-worker refuses the payload as malformed; make expires later than the deadline or remove it",
			e, t.deadline))
	}
}
