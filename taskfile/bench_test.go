package taskfile

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkReadGraph reads a 1,000-entry task graph of ~7 KB tasks (the
// synthetic corpus' mean) and reports the cost per task.
func BenchmarkReadGraph(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i := range 1000 {
		if i > 0 {
			buf.WriteString(",\n")
		}
		fmt.Fprintf(&buf, `  "test-%d": {"kind": "test", "label": "test-%d", "dependencies": {"build": "build-1"}, "task": {"taskQueueId": "gecko-3/b-linux", "metadata": {"name": "test-%d"}, "payload": {"image": {"type": "task-image", "taskId": "aB3xY9zQRkGm1nP2oQ3rSt", "path": "public/image.tar.zst"}, "maxRunTime": 3600, "command": ["run-task", "--", "bash", "-c", "echo hi"], "env": {"MOZHARNESS_TEST_PATHS": %q}}}}`,
			i, i, i, strings.Repeat("testing/mochitest/manifest.toml ", 200))
	}
	buf.WriteString("\n}\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open("graph.json", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1000 {
			b.Fatalf("%d items", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/task")
}
