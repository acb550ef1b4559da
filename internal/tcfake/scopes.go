package tcfake

import (
	"sort"
	"strings"
)

// satisfied reports whether scope is granted by the set have: an exact match,
// or a pattern ending in `*` that prefixes it.
func satisfied(have []string, scope string) bool {
	for _, h := range have {
		if h == scope {
			return true
		}
		if strings.HasSuffix(h, "*") && strings.HasPrefix(scope, h[:len(h)-1]) {
			return true
		}
	}
	return false
}

// anyOf reports whether have satisfies every scope of at least one
// alternative (the queue's AnyOf-of-AllOf scope expressions).
func anyOf(have []string, alternatives ...[]string) bool {
	for _, alt := range alternatives {
		ok := true
		for _, sc := range alt {
			if !satisfied(have, sc) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// expand applies the role table: every `assume:<roleId>` (or a `*` pattern
// covering one) adds the role's scopes, to a fixed point. The result is
// normalized: sorted, without duplicates or scopes implied by a `*` pattern.
// Caller holds s.mu.
func (s *Server) expand(scopes []string) []string {
	set := map[string]bool{}
	work := append([]string{}, scopes...)
	for len(work) > 0 {
		sc := work[len(work)-1]
		work = work[:len(work)-1]
		if set[sc] {
			continue
		}
		set[sc] = true
		for _, id := range s.roleIDs() {
			if roleMatches(sc, id) {
				work = append(work, s.roles[id]...)
			}
		}
	}
	out := make([]string, 0, len(set))
	for sc := range set {
		out = append(out, sc)
	}
	sort.Strings(out)
	return normalize(out)
}

// roleMatches reports whether scope sc grants role id. Role ids ending in `*`
// match any assume:<prefix>… scope; scopes ending in `*` match any role they
// prefix.
func roleMatches(sc, id string) bool {
	target := "assume:" + id
	if sc == target {
		return true
	}
	if strings.HasSuffix(sc, "*") && strings.HasPrefix(target, sc[:len(sc)-1]) {
		return true
	}
	if strings.HasSuffix(id, "*") && strings.HasPrefix(sc, "assume:"+id[:len(id)-1]) {
		return true
	}
	return false
}

func (s *Server) roleIDs() []string {
	ids := make([]string, 0, len(s.roles))
	for id := range s.roles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// normalize drops scopes implied by another `*` scope of a sorted set.
func normalize(sorted []string) []string {
	out := sorted[:0:0]
	for _, sc := range sorted {
		implied := false
		for _, o := range sorted {
			if o != sc && strings.HasSuffix(o, "*") && strings.HasPrefix(sc, o[:len(o)-1]) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, sc)
		}
	}
	return out
}
