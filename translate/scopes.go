package translate

import (
	"slices"
	"strings"
)

// ScopeRequirement is one capability's scope need: any one alternative
// satisfies it.
type ScopeRequirement struct {
	// Pointer locates the payload property that asks for the capability.
	Pointer      string
	Alternatives []string
}

// RequiredScopes lists the docker-worker scopes the payload's capabilities
// need on task queue q (spec §3.1), in upstream's order. Worker config does
// not matter: the scope is needed even when the worker drops the flag.
func RequiredScopes(p *DockerWorkerPayload, q string) []ScopeRequirement {
	var req []ScopeRequirement
	both := func(ptr, s string) {
		req = append(req, ScopeRequirement{ptr, []string{s, s + ":" + q}})
	}
	if p.Capabilities.Privileged {
		both("/capabilities/privileged", "docker-worker:capability:privileged")
	}
	if p.Capabilities.DisableSeccomp {
		req = append(req, ScopeRequirement{"/capabilities/disableSeccomp", []string{"docker-worker:capability:disableSeccomp"}})
	}
	d := p.Capabilities.Devices
	if d.HostSharedMemory {
		both("/capabilities/devices/hostSharedMemory", "docker-worker:capability:device:hostSharedMemory")
	}
	if d.KVM {
		both("/capabilities/devices/kvm", "docker-worker:capability:device:kvm")
	}
	if d.LoopbackAudio {
		both("/capabilities/devices/loopbackAudio", "docker-worker:capability:device:loopbackAudio")
	}
	if d.LoopbackVideo {
		both("/capabilities/devices/loopbackVideo", "docker-worker:capability:device:loopbackVideo")
	}
	if p.Features.AllowPtrace {
		req = append(req, ScopeRequirement{"/features/allowPtrace", []string{"docker-worker:feature:allowPtrace"}})
	}
	return req
}

// scopeSatisfies reports whether the granted scope s covers required r
// (a trailing "*" matches any suffix).
func scopeSatisfies(s, r string) bool {
	if s == r {
		return true
	}
	return strings.HasSuffix(s, "*") && strings.HasPrefix(r, s[:len(s)-1])
}

// ValidateScopes checks that expanded satisfies every requirement of the
// payload on queue q. The error is an *Error (MalformedPayload, pointer
// /scopes) whose message is upstream's exact text, listing every missing
// group joined by "\nAND\n".
func ValidateScopes(p *DockerWorkerPayload, q string, expanded []string) error {
	var missing []string
	for _, r := range RequiredScopes(p, q) {
		ok := false
		for _, alt := range r.Alternatives {
			for _, s := range expanded {
				ok = ok || scopeSatisfies(s, alt)
			}
		}
		if !ok {
			missing = append(missing, "("+strings.Join(r.Alternatives, ", or\n")+")")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	given := "<no scopes>"
	if len(expanded) > 0 {
		given = strings.Join(expanded, " and ")
	}
	msg := "d2g task requires scopes:\n\n" + strings.Join(missing, "\nAND\n") +
		"\n\nbut task only has scopes:\n\n" + given +
		"\n\nYou probably should add some scopes to your task definition"
	return &Error{Reason: MalformedPayload, Problems: []Problem{{"/scopes", msg}}}
}

// ConvertScopes maps docker-worker scopes to generic-worker ones (spec §3.2):
// the original scopes, plus generic-worker:os-group:<q>/docker, plus one
// mapping per expanded scope; sorted, not deduplicated (as upstream).
func ConvertScopes(original, expanded []string, q string) []string {
	out := make([]string, 0, len(original)+1+len(expanded)+2)
	out = append(out, original...)
	out = append(out, "generic-worker:os-group:"+q+"/docker")
	const (
		kvm   = "docker-worker:capability:device:kvm"
		video = "docker-worker:capability:device:loopbackVideo"
		audio = "docker-worker:capability:device:loopbackAudio"
	)
	for _, s := range expanded {
		switch {
		case s == kvm:
			out = append(out, "generic-worker:os-group:"+q+"/kvm", "generic-worker:os-group:"+q+"/libvirt")
		case strings.HasPrefix(s, kvm+":"):
			x := s[len(kvm)+1:]
			out = append(out, "generic-worker:os-group:"+x+"/kvm", "generic-worker:os-group:"+x+"/libvirt")
		case s == video:
			out = append(out, "generic-worker:loopback-video:*")
		case strings.HasPrefix(s, video+":"):
			out = append(out, "generic-worker:loopback-video:"+s[len(video)+1:])
		case s == audio:
			out = append(out, "generic-worker:loopback-audio:*")
		case strings.HasPrefix(s, audio+":"):
			out = append(out, "generic-worker:loopback-audio:"+s[len(audio)+1:])
		case strings.HasPrefix(s, "docker-worker:"):
			out = append(out, "generic-worker:"+s[len("docker-worker:"):])
		}
	}
	slices.Sort(out)
	return out
}
