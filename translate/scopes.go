package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// ScopeRequirement is one scope need of a payload: any one alternative
// satisfies it.
type ScopeRequirement struct {
	// Pointer locates the payload property that asks for it.
	Pointer      string
	Alternatives []string
	// Cache is the cache name for a cache requirement, "" for a
	// capability's.
	Cache string
}

// SatisfiedBy reports whether the (expanded) scopes satisfy r, with
// Taskcluster's "*" suffix matching.
func (r ScopeRequirement) SatisfiedBy(scopes []string) bool {
	for _, alt := range r.Alternatives {
		for _, s := range scopes {
			if scopeSatisfies(s, alt) {
				return true
			}
		}
	}
	return false
}

// RequiredScopes lists the scopes the payload needs on task queue q: first
// what its capabilities need (d2g's rule, spec §3.1, in upstream's order),
// then one requirement per cache in name order. Worker config does not
// matter: a scope is needed even when the pool refuses the capability.
//
// A cache named n needs docker-worker:cache:<n> or
// docker-worker:cache:<n>:<q> (docker-worker's buildVolumeBindings), or
// generic-worker:cache:<n>, the form d2g converts the first to and which
// generic-worker's mounts feature checks (§3.3).
func RequiredScopes(p *DockerWorkerPayload, q string) []ScopeRequirement {
	var req []ScopeRequirement
	both := func(ptr, s string) {
		req = append(req, ScopeRequirement{Pointer: ptr, Alternatives: []string{s, s + ":" + q}})
	}
	if p.Capabilities.Privileged {
		both("/capabilities/privileged", "docker-worker:capability:privileged")
	}
	if p.Capabilities.DisableSeccomp {
		req = append(req, ScopeRequirement{Pointer: "/capabilities/disableSeccomp", Alternatives: []string{"docker-worker:capability:disableSeccomp"}})
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
		req = append(req, ScopeRequirement{Pointer: "/features/allowPtrace", Alternatives: []string{"docker-worker:feature:allowPtrace"}})
	}
	for _, n := range sortedKeys(p.Cache) {
		req = append(req, ScopeRequirement{
			Pointer:      "/cache/" + jsonptr.Escape(n),
			Alternatives: []string{"docker-worker:cache:" + n, "docker-worker:cache:" + n + ":" + q, "generic-worker:cache:" + n},
			Cache:        n,
		})
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
// payload on queue q. The error is an *Error (MalformedPayload) listing
// every problem: the capabilities' missing groups in one problem at
// /scopes, in upstream d2g's exact text (groups joined by "\nAND\n"), then
// one problem per cache whose scope is missing, at /payload/cache/<name>,
// naming the cache and the scopes that would grant it.
func ValidateScopes(p *DockerWorkerPayload, q string, expanded []string) error {
	var missing []string
	var probs []Problem
	for _, r := range RequiredScopes(p, q) {
		if r.SatisfiedBy(expanded) {
			continue
		}
		if r.Cache != "" {
			probs = append(probs, Problem{Pointer: "/payload" + r.Pointer, Message: CacheScopeMessage(r), Kind: ProblemMissingScopes})
			continue
		}
		missing = append(missing, "("+strings.Join(r.Alternatives, ", or\n")+")")
	}
	if len(missing) > 0 {
		given := "<no scopes>"
		if len(expanded) > 0 {
			given = strings.Join(expanded, " and ")
		}
		msg := "d2g task requires scopes:\n\n" + strings.Join(missing, "\nAND\n") +
			"\n\nbut task only has scopes:\n\n" + given +
			"\n\nYou probably should add some scopes to your task definition"
		probs = append([]Problem{{Pointer: "/scopes", Message: msg, Kind: ProblemMissingScopes}}, probs...)
	}
	if len(probs) == 0 {
		return nil
	}
	return &Error{Reason: MalformedPayload, Problems: probs}
}

// MissingScopes lists the requirements of RequiredScopes(p, q) that
// scopes do not satisfy.
func MissingScopes(p *DockerWorkerPayload, q string, scopes []string) []ScopeRequirement {
	var out []ScopeRequirement
	for _, r := range RequiredScopes(p, q) {
		if !r.SatisfiedBy(scopes) {
			out = append(out, r)
		}
	}
	return out
}

// NeedsExpansion reports whether scopes hold assume: roles (or a scope
// that satisfies some assume: scope) whose grants are unknown unexpanded.
func NeedsExpansion(scopes []string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, "assume:") || (strings.HasSuffix(s, "*") && strings.HasPrefix("assume:", s[:len(s)-1])) {
			return true
		}
	}
	return false
}

// UnverifiableScopeMessage is the one text for a requirement that
// unexpanded assume: roles may or may not grant.
func UnverifiableScopeMessage(r ScopeRequirement) string {
	return "needs scope " + strings.Join(r.Alternatives, " or ") +
		"; the task's scopes grant it only if its assume: roles do, which cannot be checked offline"
}

// UnverifiableScopeWarnings are the requirements of p (on queue q) that
// the unexpanded scopes do not grant: their assume: roles might. Pointers
// are into the task definition.
func UnverifiableScopeWarnings(p *DockerWorkerPayload, q string, scopes []string) []Warning {
	missing := MissingScopes(p, q, scopes)
	if len(missing) == 0 {
		return nil
	}
	out := make([]Warning, len(missing))
	for i, r := range missing {
		out[i] = Warning{Pointer: "/payload" + r.Pointer, Code: WarnScopeUnverifiable, Message: UnverifiableScopeMessage(r)}
	}
	return out
}

// CacheScopeMessage is the one text for a cache whose scope the task lacks.
func CacheScopeMessage(r ScopeRequirement) string {
	return fmt.Sprintf("cache %q needs scope %s, which the task's scopes do not grant: add it to the task's scopes "+
		"(docker-worker refused such a task: \"Insufficient scopes to attach cache volumes\")",
		r.Cache, strings.Join(r.Alternatives, " or "))
}

// CacheScopeWarnings flags caches granted only by the pool-qualified
// docker-worker:cache:<name>:<q>: docker-worker and dwshim accept it, but
// d2g maps it to generic-worker:cache:<name>:<q>, which generic-worker
// never accepts (§3.3). Pointers are into the task definition.
func CacheScopeWarnings(p *DockerWorkerPayload, q string, expanded []string) []Warning {
	var out []Warning
	for _, r := range RequiredScopes(p, q) {
		if r.Cache == "" {
			continue
		}
		dw, gw := ScopeRequirement{Alternatives: []string{r.Alternatives[0]}}, ScopeRequirement{Alternatives: []string{r.Alternatives[2]}}
		if !dw.SatisfiedBy(expanded) && !gw.SatisfiedBy(expanded) && r.SatisfiedBy(expanded) {
			out = append(out, Warning{Pointer: "/payload" + r.Pointer, Code: WarnPoolCacheScope, Message: fmt.Sprintf(
				"cache %q is granted only by %s: docker-worker and dwshim accept it, but d2g maps it to generic-worker:cache:%s:%s, which generic-worker never accepts, so the converted task fails on generic-worker; add %s",
				r.Cache, r.Alternatives[1], r.Cache, q, r.Alternatives[0])})
		}
	}
	return out
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
