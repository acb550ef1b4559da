package lint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLintInput feeds arbitrary input through the reader and every check:
// it must never panic, and problems must name a rule.
func FuzzLintInput(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(rulesDir, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"image": {"task-reference": 1}, "maxRunTime": 1}`))
	f.Add([]byte("image: ubuntu\nmaxRunTime: 1\n---\nimage: 1\n"))
	f.Add([]byte(`{"tasks": [{"payload": {"image": "x", "maxRunTime": 1, "onExitStatus": {"retry": [0, 0]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c collect
		_, _ = New(DefaultOptions()).Run(context.Background(), []string{"-"}, bytes.NewReader(data), &c)
		for _, p := range c.probs {
			if p.Rule == "" || p.Severity == "" {
				t.Fatalf("problem without rule or severity: %+v", p)
			}
		}
	})
}
