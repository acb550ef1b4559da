package jsone

import "strings"

// Origin maps a rendered value back to the template: Pointer is the JSON
// pointer of the template node that produced the value, and the children
// say where the members and elements of a rendered object or array came
// from. Values computed by an expression ($eval, interpolation) have no
// children: everything inside them comes from that expression.
type Origin struct {
	Pointer string
	keys    map[string]*Origin
	items   []*Origin
}

func (o *Origin) ptr() string {
	if o == nil {
		return ""
	}
	return o.Pointer
}

func (o *Origin) key(k string) *Origin {
	if o == nil {
		return nil
	}
	if c := o.keys[k]; c != nil {
		return c
	}
	return &Origin{Pointer: o.Pointer}
}

func (o *Origin) item(i int) *Origin {
	if o == nil {
		return nil
	}
	if i >= 0 && i < len(o.items) && o.items[i] != nil {
		return o.items[i]
	}
	return &Origin{Pointer: o.Pointer}
}

// Lookup returns the template pointer that produced the rendered value at
// pointer (RFC 6901, relative to the rendered result), and how many of
// pointer's tokens it resolved exactly: when the value came from an
// expression, the expression's node is returned with exact < the number of
// tokens.
func (o *Origin) Lookup(pointer string) (template string, exact int) {
	if o == nil {
		return "", 0
	}
	cur := o
	if pointer == "" {
		return cur.Pointer, 0
	}
	toks := strings.Split(pointer[1:], "/")
	for n, t := range toks {
		t = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
		var next *Origin
		if cur.keys != nil {
			next = cur.keys[t]
		} else if cur.items != nil {
			i := 0
			ok := t != ""
			for _, c := range t {
				if c < '0' || c > '9' {
					ok = false
					break
				}
				i = i*10 + int(c-'0')
				if i > len(cur.items) {
					break
				}
			}
			if ok && i < len(cur.items) {
				next = cur.items[i]
			}
		}
		if next == nil {
			return cur.Pointer, n
		}
		cur = next
	}
	return cur.Pointer, len(toks)
}
