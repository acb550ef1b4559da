package lint

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dwshim/dwshim/taskfile"
)

const benchCache = "/tmp/dwshim-bench"

// benchGraph returns the 30,000-task synthetic corpus as a taskgraph graph
// (label → {task}), generating and caching it in /tmp/dwshim-bench.
func benchGraph(b *testing.B) string {
	b.Helper()
	shared := sharedDir(b, true)
	if err := os.MkdirAll(benchCache, 0o755); err != nil {
		b.Fatal(err)
	}
	gz := filepath.Join(benchCache, "tasks-30k.jsonl.gz")
	graph := filepath.Join(benchCache, "graph-30k.json")
	if st, err := os.Stat(graph); err == nil && st.Size() > 0 {
		return graph
	}
	if st, err := os.Stat(gz); err != nil || st.Size() == 0 {
		cmd := exec.Command("go", "run", filepath.Join(shared, "corpus/synthetic/gen/main.go"), "-n", "30000", "-seed", "1", "-o", gz+".tmp")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("generate corpus: %v", err)
		}
		if err := os.Rename(gz+".tmp", gz); err != nil {
			b.Fatal(err)
		}
	}
	if err := writeGraph(gz, graph+".lint.tmp"); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(graph+".lint.tmp", graph); err != nil {
		b.Fatal(err)
	}
	return graph
}

// writeGraph turns JSON lines of task definitions into a graph keyed by
// label (tags.label, else metadata.name), as full-task-graph.json.
func writeGraph(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	w.WriteString("{\n")
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for i := 0; sc.Scan(); i++ {
		var t struct {
			Tags     map[string]string `json:"tags"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return err
		}
		label := t.Tags["label"]
		if label == "" {
			label = t.Metadata.Name
		}
		entry, _ := json.Marshal(map[string]any{
			"attributes": map[string]string{"kind": t.Tags["kind"]}, "dependencies": map[string]string{},
			"kind": t.Tags["kind"], "label": label, "optimization": nil, "soft_dependencies": []string{},
			"task": json.RawMessage(sc.Bytes()),
		})
		key, _ := json.Marshal(label)
		if i > 0 {
			w.WriteString(",\n")
		}
		w.Write(key)
		w.WriteString(": ")
		w.Write(entry)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w.WriteString("\n}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// eachItem streams the graph's items to fn.
func eachItem(b *testing.B, graph string, fn func(*taskfile.Item)) int {
	r, err := taskfile.OpenFile(graph, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		it, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		fn(it)
		n++
	}
}

type discard struct{ n int }

func (d *discard) Problem(Problem) error { d.n++; return nil }

// BenchmarkLint30k lints the whole synthetic 30,000-task graph end to end
// and compares it with the JSON floor measured in the same run: streaming
// the same graph and decoding every task into map[string]any and
// re-encoding it. Reports ns/task for both and their ratio.
func BenchmarkLint30k(b *testing.B) {
	graph := benchGraph(b)
	ctx := context.Background()
	var floorNs, lintNs, tasks int64
	for b.Loop() {
		t0 := timeNow()
		n := eachItem(b, graph, func(it *taskfile.Item) {
			var m map[string]any
			if err := json.Unmarshal(it.Raw, &m); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		})
		t1 := timeNow()
		sink := &discard{}
		sum, err := New(DefaultOptions()).Run(ctx, []string{graph}, nil, sink)
		if err != nil {
			b.Fatal(err)
		}
		t2 := timeNow()
		if sum.Tasks != n {
			b.Fatalf("linted %d tasks, floor read %d", sum.Tasks, n)
		}
		floorNs += t1.Sub(t0).Nanoseconds()
		lintNs += t2.Sub(t1).Nanoseconds()
		tasks += int64(n)
	}
	b.ReportMetric(float64(lintNs)/float64(tasks), "ns/task")
	b.ReportMetric(float64(floorNs)/float64(tasks), "floor-ns/task")
	b.ReportMetric(float64(lintNs)/float64(floorNs), "ratio")
}
