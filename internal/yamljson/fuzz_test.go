package yamljson

import (
	"encoding/json"
	"io"
	"testing"
)

// FuzzDecoder: whatever the input, every document read is valid JSON whose
// size stays within the output bound, and the position table has the root.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"a: 1\n", "a: &x [1, 2]\nb: *x\n", "a: &a {k: v}\nb: {<<: *a, j: 1}\n", "a: &a [*a]\n",
		"- 2024-01-02\n- .inf\n- 0x1f\n", "a: 1\n---\nb: [\n", "{\"a\": [1, \"b\", null]}", "? [1]\n: 2\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, templates bool) {
		dec := NewDecoder(data, Options{MergeKeys: templates, Timestamps: templates})
		for range 16 {
			d, err := dec.Next()
			if err == io.EOF || err != nil {
				return
			}
			if !json.Valid(d.JSON) {
				t.Fatalf("invalid JSON %q from %q", d.JSON, data)
			}
			if len(d.JSON) > maxOut+4*len(data)+(64<<10) {
				t.Fatalf("%d bytes of JSON from %d of YAML", len(d.JSON), len(data))
			}
			if _, ok := d.Pos[""]; !ok {
				t.Fatalf("no position for the document of %q", data)
			}
		}
	})
}
