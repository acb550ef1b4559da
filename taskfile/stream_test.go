package taskfile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// TestGraphMemoryFlat streams a large graph through a pipe and checks that
// the Reader never holds more than a few entries' worth of input.
func TestGraphMemoryFlat(t *testing.T) {
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		fmt.Fprint(w, "{\n")
		for i := range n {
			if i > 0 {
				fmt.Fprint(w, ",\n")
			}
			fmt.Fprintf(w, "  %q: {\"kind\": \"test\", \"label\": %q, \"task\": {\"payload\": {\"image\": \"ubuntu\", \"env\": {\"PAD\": %q}}}}",
				fmt.Sprint("test-", i), fmt.Sprint("test-", i), strings.Repeat("x", 2000))
		}
		fmt.Fprint(w, "\n}\n")
		w.Flush()
		pw.Close()
	}()
	r, err := Open("big.json", pr)
	if err != nil {
		t.Fatal(err)
	}
	count, maxBuf := 0, 0
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("test-", count); it.Label != want || it.Line != count+2 {
			t.Fatalf("item %d: label %q line %d", count, it.Label, it.Line)
		}
		count++
		maxBuf = max(maxBuf, cap(r.tr.buf))
	}
	if count != n {
		t.Errorf("read %d entries, want %d", count, n)
	}
	// ~2 KiB per entry, 40 MB in all: the retained window must stay small.
	if maxBuf > 256<<10 {
		t.Errorf("tracker retained up to %d bytes; want the window to stay under 256 KiB", maxBuf)
	}
}

// sharedDir locates ../shared; see testenv.Shared.
func sharedDir(t *testing.T) string {
	t.Helper()
	return testenv.Shared(t, false)
}

func TestRealCorpus(t *testing.T) {
	root := filepath.Join(sharedDir(t), "corpus", "real")
	formats := map[PayloadFormat]int{}
	for _, sub := range []string{"payloads", "task-definitions", "rendered"} {
		files, err := Walk(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			r, err := OpenFile(f, nil)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			for {
				it, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("%v", err)
					break
				}
				formats[it.Format]++
				if it.Format == DockerWorker {
					var p map[string]any
					raw := it.Raw
					if it.Kind == TaskDefinition {
						var td struct{ Payload json.RawMessage }
						_ = json.Unmarshal(raw, &td)
						raw = td.Payload
					}
					if json.Unmarshal(raw, &p) != nil || p["image"] == nil {
						t.Errorf("%s %s: docker-worker item without image", f, it.Name())
					}
				}
			}
			r.Close()
		}
	}
	if formats[DockerWorker] < 100 || formats[GenericWorker] == 0 || formats[Unknown] != 0 {
		t.Errorf("formats = %v; want ≥100 docker-worker, some generic-worker, no unknown", formats)
	}
}

func FuzzTaskfile(f *testing.F) {
	for _, s := range []string{
		`{"image": "ubuntu", "maxRunTime": 1}`,
		`{"payload": {"image": "a"}, "metadata": {"name": "x"}}`,
		"{\"a\": {\"task\": {\"payload\": {\"image\": \"x\"}}},\n\"b\": {\"task\": {}}}",
		"{\"image\":\"a\"}\n{\"image\":\"b\"}\n",
		`{"tasks": [{"payload": {"image": "a"}}, {"payload": {}}]}`,
		`[{"image": "a"}, 1, null]`,
		"payload:\n  image: a\n  env: {A: &x b, B: *x}\n---\nimage: c\n",
		"{\"a\": {\"task\": {", "\x1f\x8b", "a: [1, 2", "{}", "[]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, yamlName bool) {
		name := "f.json"
		if yamlName {
			name = "f.yml"
		}
		members(data, func(string, int, json.RawMessage) bool { return true })
		pointerOffset(data, "/a/0/~1")
		_, _ = ReplaceMember(data, "task", json.RawMessage(`1`))
		r, err := Open(name, strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			it, err := r.Next()
			if err != nil {
				return
			}
			if !json.Valid(it.Raw) {
				t.Fatalf("item %d: invalid JSON Raw %q", i, it.Raw)
			}
			_ = it.Name()
			it.Locate("/payload/image")
			it.Locate("/0/x~1y")
			it.Locate("bad")
		}
	})
}
