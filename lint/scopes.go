package lint

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dwshim/dwshim/translate"
)

// requirement is one scope need; any alternative satisfies it.
type requirement struct {
	ptr  string // relative to the payload
	alts []string
	// cache is the cache name for cache requirements.
	cache string
}

// requirements lists what the payload needs on queue q: d2g's capability
// scopes (spec §3.1) and generic-worker's cache scopes (§3.3), which d2g
// derives from docker-worker:cache:<name>.
func requirements(p *translate.DockerWorkerPayload, q string) []requirement {
	var out []requirement
	for _, r := range translate.RequiredScopes(p, q) {
		out = append(out, requirement{ptr: r.Pointer, alts: r.Alternatives})
	}
	names := make([]string, 0, len(p.Cache))
	for n := range p.Cache {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, requirement{
			ptr:   "/cache/" + escapePointer(n),
			alts:  []string{"docker-worker:cache:" + n, "generic-worker:cache:" + n},
			cache: n,
		})
	}
	return out
}

func satisfies(granted, required string) bool {
	if granted == required {
		return true
	}
	return strings.HasSuffix(granted, "*") && strings.HasPrefix(required, granted[:len(granted)-1])
}

func satisfied(r requirement, scopes []string) bool {
	for _, alt := range r.alts {
		for _, s := range scopes {
			if satisfies(s, alt) {
				return true
			}
		}
	}
	return false
}

func hasAssume(scopes []string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, "assume:") || s == "*" || s == "assume*" || s == "assum*" {
			return true
		}
	}
	return false
}

// checkScopes reports the requirements the task's scopes miss.
func (l *Linter) checkScopes(ctx context.Context, t *task, p *translate.DockerWorkerPayload) {
	reqs := requirements(p, t.queue)
	if len(reqs) == 0 {
		return
	}
	var missing []requirement
	for _, r := range reqs {
		if !satisfied(r, t.scopes) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return
	}
	scopes := t.scopes
	if hasAssume(t.scopes) {
		if l.opts.Expander == nil {
			for _, r := range missing {
				t.add(RuleScopesUnverifiable, Warning, t.prefix+r.ptr, fmt.Sprintf(
					"needs scope %s; the task's scopes grant it only if its assume: roles do, which cannot be checked offline (use --root-url to expand them)",
					altText(r.alts)))
			}
			return
		}
		exp, err := l.expand(ctx, t.scopes)
		if err != nil {
			for _, r := range missing {
				t.add(RuleScopesUnverifiable, Warning, t.prefix+r.ptr, fmt.Sprintf(
					"needs scope %s; expanding the task's assume: roles failed: %v", altText(r.alts), err))
			}
			return
		}
		scopes = exp
	}
	for _, r := range missing {
		if satisfied(r, scopes) {
			continue
		}
		msg := fmt.Sprintf("requires scope %s, which the task's scopes do not grant; add it to the task's scopes", altText(r.alts))
		if r.cache != "" {
			if q := poolQualified(r.cache, scopes); q != "" {
				msg += fmt.Sprintf(" (%s is pool-qualified: d2g maps it to generic-worker:cache:%s, which generic-worker never accepts)", q, strings.TrimPrefix(q, "docker-worker:cache:"))
			}
		}
		t.add(RuleMissingScopes, Error, t.prefix+r.ptr, msg)
	}
}

func poolQualified(cache string, scopes []string) string {
	pre := "docker-worker:cache:" + cache + ":"
	for _, s := range scopes {
		if strings.HasPrefix(s, pre) {
			return s
		}
	}
	return ""
}

func altText(alts []string) string {
	return strings.Join(alts, " or ")
}

func (l *Linter) expand(ctx context.Context, scopes []string) ([]string, error) {
	key := strings.Join(scopes, "\n")
	if e, ok := l.expanded[key]; ok {
		return e.scopes, e.err
	}
	s, err := l.opts.Expander.ExpandScopes(ctx, scopes)
	if err != nil {
		err = fmt.Errorf("expand scopes: %w", err)
	}
	l.expanded[key] = expansion{s, err}
	return s, err
}
