package yamljson

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	merge := Options{MergeKeys: true}
	tests := []struct {
		name string
		in   string
		opts Options
		want string // JSON, or the error's text
	}{
		{"scalars", "a: 1\nb: 2.5\nc: true\nd: ~\ne: yes\nf: '1'\ng: 0x1f\nh: 1e3\ni: 123456789012345678901234567890\n", Options{},
			`{"a":1,"b":2.5,"c":true,"d":null,"e":"yes","f":"1","g":31,"h":1000,"i":1.2345678901234568e+29}`},
		{"key order kept, no HTML escaping", "z: <a&b>\na: [x, {y: 1}]\n", Options{}, `{"z":"<a&b>","a":["x",{"y":1}]}`},
		{"JSON is YAML", `{"a": [1, "b", null]}`, Options{}, `{"a":[1,"b",null]}`},
		{"aliases expand", "a: &x {k: v}\nb: *x\n", Options{}, `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"timestamps stay strings", "t: 2024-01-02\n", Options{}, `{"t":"2024-01-02"}`},
		{"timestamps as RFC 3339", "t: 2024-01-02\n", Options{Timestamps: true}, `{"t":"2024-01-02T00:00:00Z"}`},
		{"merge keys refused", "a: &x {k: v}\nb: {<<: *x}\n", Options{}, "line 2, column 5: YAML merge keys (<<) are not supported; write the keys out"},
		{"merge: written keys win, earlier sources win", "a: &a {k: a, m: a}\nb: &b {k: b, n: b, m: b}\nc:\n  k: c\n  <<: [*a, *b]\n", merge,
			`{"a":{"k":"a","m":"a"},"b":{"k":"b","n":"b","m":"b"},"c":{"k":"c","m":"a","n":"b"}}`},
		{"merge of a merge", "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n", merge, `{"a":{"x":1},"b":{"y":2,"x":1},"c":{"y":2,"x":1}}`},
		{"merge needs a mapping", "a: &a [1]\nb: {<<: *a}\n", merge, "line 1, column 8: a merge key (<<) needs a mapping or a list of mappings"},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", Options{}, `line 3, column 1: duplicate key "a"`},
		{"duplicate key with merge keys too", "a: 1\na: 3\n", merge, `line 2, column 1: duplicate key "a"`},
		{"non-scalar key", "? [1]\n: 2\n", Options{}, "line 1, column 3: mapping keys must be strings or other scalars"},
		{"infinity", "a: .inf\n", Options{}, `line 1, column 4: number ".inf" cannot be written as JSON`},
		{"syntax error", "a: [1, 2\n", Options{}, "line 1: did not find expected ',' or ']'"},
		{"unknown anchor", "a: *y\n", Options{}, "unknown anchor 'y' referenced"},
		{"recursive alias", "a: &a [*a]\n", Options{}, fmt.Sprintf("YAML nested more than %d levels deep", MaxDepth)},
		{"recursive merge", "a: &a {<<: *a}\n", merge, fmt.Sprintf("YAML nested more than %d levels deep", MaxDepth)},
		{"nesting", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), Options{}, fmt.Sprintf("YAML nested more than %d levels deep", MaxDepth)},
		{"too many aliases", "a: &a x\nb: [" + strings.Repeat("*a, ", MaxAliases) + "*a]\n", Options{}, fmt.Sprintf("YAML has more than %d aliases", MaxAliases)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := First([]byte(tt.in), tt.opts)
			got := ""
			if err != nil {
				var ye *Error
				if !errors.As(err, &ye) {
					t.Fatalf("error %v is not an *Error", err)
				}
				got = err.Error()
			} else {
				got = string(d.JSON)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestBillionLaughs: aliases of aliases stop at a bound (aliases
// followed, values, or JSON written), long before they fill memory.
func TestBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [" + strings.Repeat("x,", 9) + "x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s*a%d]\n", i, i, strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), i-1)
	}
	if _, err := First([]byte(b.String()), Options{}); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("nested aliases: err = %v, want a bound", err)
	}
	// Few aliases of a long string: the output bound (4 MiB + 4 bytes
	// per input byte).
	big := "s: &s " + strings.Repeat("x", 1<<20) + "\nl: [" + strings.Repeat("*s, ", 11) + "*s]\n"
	if _, err := First([]byte(big), Options{}); err == nil || !strings.Contains(err.Error(), "bytes of JSON (aliases?)") {
		t.Errorf("long string: err = %v, want the output bound", err)
	}
}

// TestMergeBomb: many merges of one large mapping, every key hidden by
// an earlier one, stop at the value bound rather than run for minutes.
func TestMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("m: &m {")
	for i := range 20000 {
		fmt.Fprintf(&b, "k%d: 1, ", i)
	}
	b.WriteString("z: 1}\nl: {<<: [" + strings.Repeat("*m, ", MaxAliases-10) + "*m]}\n")
	if _, err := First([]byte(b.String()), Options{MergeKeys: true}); err == nil || !strings.Contains(err.Error(), "values (merge keys?)") {
		t.Fatalf("err = %v, want the value bound", err)
	}
}

// TestPointerBytesBounded: long keys deep down would make the position
// table grow with the square of the input; it stops at its bound and the
// values below are located at an ancestor.
func TestPointerBytesBounded(t *testing.T) {
	key := strings.Repeat("k", 1000) // YAML keys in flow style are at most 1024 long
	var b strings.Builder
	const depth = 450 // 100 MB of pointers without the bound
	for range depth {
		b.WriteString("{" + key + ": ")
	}
	b.WriteString("1" + strings.Repeat("}", depth))
	d, err := First([]byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for p := range d.Pos {
		total += len(p)
	}
	if limit := maxPtrBytes + 8*b.Len(); total > limit {
		t.Errorf("%d bytes of pointers, over the bound %d", total, limit)
	}
	if total == 0 || len(d.Pos) >= depth {
		t.Errorf("%d positions (%d bytes): want the shallow ones only", len(d.Pos), total)
	}
	if p, exact := d.Locate(strings.Repeat("/"+key, depth)); exact || p.Line != 1 {
		t.Errorf("deepest value: %v %v, want an ancestor's", p, exact)
	}
}

func TestPositions(t *testing.T) {
	d, err := First([]byte("base: &b\n  image: x\ntask:\n  payload: *b\n  name: n\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for ptr, want := range map[string]Pos{
		"":              {1, 1},
		"/base/image":   {2, 10},
		"/task/name":    {5, 9},
		"/task/payload": {4, 12}, // the alias
	} {
		if p, exact := d.Locate(ptr); p != want || !exact {
			t.Errorf("Locate(%q) = %v %v, want %v exact", ptr, p, exact, want)
		}
	}
	// Inside an alias: the alias's position.
	if p, exact := d.Locate("/task/payload/image"); p != (Pos{4, 12}) || exact {
		t.Errorf("inside the alias: %v %v, want the alias's, not exact", p, exact)
	}
	m, err := First([]byte("base: &b {image: x}\ntask:\n  <<: *b\n  name: n\n"), Options{MergeKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	if p, exact := m.Locate("/task/image"); p != (Pos{3, 3}) || exact {
		t.Errorf("a merged key: %v %v, want the mapping's (3:3), not exact", p, exact)
	}
	if p, exact := d.Locate("/task/name/x/y"); p != (Pos{5, 9}) || exact {
		t.Errorf("below a value: %v %v, want its position, not exact", p, exact)
	}
}

func TestDocuments(t *testing.T) {
	dec := NewDecoder([]byte("a: 1\n---\n---\nb: 2\n"), Options{})
	var got []string
	for {
		d, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(d.JSON))
	}
	if strings.Join(got, " ") != `{"a":1} null {"b":2}` {
		t.Errorf("documents %q", got)
	}
	if _, err := First([]byte(""), Options{}); err == nil || err.Error() != "empty document" {
		t.Errorf("empty: %v", err)
	}
}
