package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwshim/dwshim/translate"
)

// checkScopes reports the requirements the task's scopes miss.
func (l *Linter) checkScopes(ctx context.Context, t *task, p *translate.DockerWorkerPayload) {
	missing := translate.MissingScopes(p, t.queue, t.scopes)
	if len(missing) == 0 {
		t.addWarnings(translate.CacheScopeWarnings(p, t.queue, t.scopes), "")
		return
	}
	scopes := t.scopes
	if translate.NeedsExpansion(t.scopes) {
		if l.opts.Expander == nil {
			t.addWarnings(translate.UnverifiableScopeWarnings(p, t.queue, t.scopes), " (use --root-url to expand them)")
			return
		}
		exp, err := l.expand(ctx, t.scopes)
		if err != nil {
			for _, r := range missing {
				t.add(RuleScopesUnverifiable, Warning, t.prefix+r.Pointer, fmt.Sprintf(
					"needs scope %s; expanding the task's assume: roles failed: %v", altText(r.Alternatives), err))
			}
			return
		}
		scopes = exp
	}
	t.addWarnings(translate.CacheScopeWarnings(p, t.queue, scopes), "")
	for _, r := range missing {
		if r.SatisfiedBy(scopes) {
			continue
		}
		msg := fmt.Sprintf("requires scope %s, which the task's scopes do not grant; add it to the task's scopes", altText(r.Alternatives))
		if r.Cache != "" {
			msg = translate.CacheScopeMessage(r)
		}
		t.add(RuleMissingScopes, Error, t.prefix+r.Pointer, msg)
	}
}

func altText(alts []string) string {
	return strings.Join(alts, " or ")
}

func (l *Linter) expand(ctx context.Context, scopes []string) ([]string, error) {
	key := strings.Join(scopes, "\n")
	l.mu.Lock()
	e, ok := l.expanded[key]
	l.mu.Unlock()
	if ok {
		return e.scopes, e.err
	}
	s, err := l.opts.Expander.ExpandScopes(ctx, scopes)
	if err != nil {
		err = fmt.Errorf("expand scopes: %w", err)
	}
	l.mu.Lock()
	l.expanded[key] = expansion{s, err}
	l.mu.Unlock()
	return s, err
}
