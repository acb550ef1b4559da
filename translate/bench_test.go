package translate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// benchCorpus returns the synthetic corpus (n tasks, seed), one task
// definition per element. The generated file is cached under
// $TMPDIR/dwshim-bench keyed by n and seed.
func benchCorpus(b *testing.B, n, seed int) [][]byte {
	b.Helper()
	key := fmt.Sprintf("%d/%d", n, seed)
	if c, ok := corpusCache[key]; ok {
		return c
	}
	c := loadCorpus(b, n, seed)
	corpusCache[key] = c
	return c
}

// corpusCache keeps loaded corpora across a benchmark's b.N rounds.
var corpusCache = map[string][][]byte{}

func loadCorpus(b *testing.B, n, seed int) [][]byte {
	gen := filepath.Join(findShared(b, true), "corpus", "synthetic", "gen", "main.go")
	if _, err := os.Stat(gen); err != nil {
		b.Fatalf("corpus generator missing: %v", err)
	}
	cacheDir := filepath.Join(os.TempDir(), "dwshim-bench")
	file := filepath.Join(cacheDir, fmt.Sprintf("tasks-n%d-seed%d.jsonl.gz", n, seed))
	if _, err := os.Stat(file); err != nil {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			b.Fatal(err)
		}
		tmp := filepath.Join(b.TempDir(), "t.jsonl.gz")
		cmd := exec.Command("go", "run", gen, "-n", fmt.Sprint(n), "-seed", fmt.Sprint(seed), "-o", tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("generate corpus: %v\n%s", err, out)
		}
		if err := copyFile(tmp, file); err != nil {
			b.Fatal(err)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatalf("corpus %s: %v", file, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	lines := make([][]byte, 0, n)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, clampArtifactExpiry(b, sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("read corpus: %v", err)
	}
	if len(lines) != n {
		b.Fatalf("corpus has %d tasks, want %d", len(lines), n)
	}
	return lines
}

// clampArtifactExpiry makes no artifact outlive its task: about half of
// the generator's tasks have artifacts that expire after the task, which
// the queue refuses (and so DecodeTask does). Real taskgraph output clamps.
func clampArtifactExpiry(b *testing.B, line []byte) []byte {
	var t map[string]any
	if err := json.Unmarshal(line, &t); err != nil {
		b.Fatal(err)
	}
	te, _ := t["expires"].(string)
	p, _ := t["payload"].(map[string]any)
	arts, _ := p["artifacts"].(map[string]any)
	changed := false
	for _, a := range arts {
		if am, ok := a.(map[string]any); ok {
			if e, _ := am["expires"].(string); e > te && te != "" {
				am["expires"], changed = te, true
			}
		}
	}
	if !changed {
		return bytes.Clone(line)
	}
	out, err := json.Marshal(t)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// cost accumulates time and allocation over tasks.
type cost struct {
	ns, bytes, allocs float64
}

// interleaved runs a and b over the tasks in alternating chunks, so that
// machine noise (other processes on the two cores) hits both alike, and
// returns their per-task costs.
func interleaved(b *testing.B, tasks [][]byte, fa, fb func([]byte) error) (ca, cb cost) {
	b.Helper()
	const chunk = 1000
	var ms runtime.MemStats
	run := func(fn func([]byte) error, part [][]byte, c *cost) {
		runtime.GC() // each side pays for its own garbage only
		runtime.ReadMemStats(&ms)
		b0, m0 := ms.TotalAlloc, ms.Mallocs
		start := time.Now()
		for _, t := range part {
			if err := fn(t); err != nil {
				b.Fatal(err)
			}
		}
		c.ns += float64(time.Since(start).Nanoseconds())
		runtime.ReadMemStats(&ms)
		c.bytes += float64(ms.TotalAlloc - b0)
		c.allocs += float64(ms.Mallocs - m0)
	}
	for i := 0; i < len(tasks); i += chunk {
		part := tasks[i:min(i+chunk, len(tasks))]
		run(fa, part, &ca)
		run(fb, part, &cb)
	}
	n := float64(len(tasks))
	for _, c := range []*cost{&ca, &cb} {
		c.ns, c.bytes, c.allocs = c.ns/n, c.bytes/n, c.allocs/n
	}
	return ca, cb
}

// floorTask is the JSON floor: decode a task into map[string]any and
// encode it again.
func floorTask(t []byte) error {
	var m map[string]any
	if err := json.Unmarshal(t, &m); err != nil {
		return err
	}
	_, err := json.Marshal(m)
	return err
}

// translateTask is what we measure: decode + translate the whole task
// definition (scopes included) and encode the d2g payload.
func translateTask(cfg Config) func([]byte) error {
	return func(t []byte) error {
		r, err := TranslateTask(t, cfg, TaskOptions{})
		if err != nil {
			return err
		}
		_, err = r.Payload.MarshalJSON()
		return err
	}
}

// BenchmarkTranslate30k translates the 30,000-task synthetic corpus; one
// op is one pass over the corpus, and the per-task figures are reported
// next to the JSON floor's.
func BenchmarkTranslate30k(b *testing.B) {
	tasks := benchCorpus(b, 30000, 1)
	cfg := OfflineConfig()
	cfg.ContainerName = func() string { return "taskcontainer" }
	var floor, ours cost
	b.ResetTimer()
	for range b.N {
		f, o := interleaved(b, tasks, floorTask, translateTask(cfg))
		floor.ns, floor.bytes, floor.allocs = floor.ns+f.ns, floor.bytes+f.bytes, floor.allocs+f.allocs
		ours.ns, ours.bytes, ours.allocs = ours.ns+o.ns, ours.bytes+o.bytes, ours.allocs+o.allocs
	}
	n := float64(b.N)
	b.ReportMetric(floor.ns/n, "floor-ns/task")
	b.ReportMetric(floor.bytes/n, "floor-B/task")
	b.ReportMetric(floor.allocs/n, "floor-allocs/task")
	b.ReportMetric(ours.ns/n, "ns/task")
	b.ReportMetric(ours.bytes/n, "B/task")
	b.ReportMetric(ours.allocs/n, "allocs/task")
	b.ReportMetric(ours.ns/floor.ns, "x-floor")
}

// BenchmarkTranslateTask is one task per op (cycling through the first
// 2,000 tasks of the corpus), for profiling the translation alone.
func BenchmarkTranslateTask(b *testing.B) {
	tasks := benchCorpus(b, 30000, 1)[:2000]
	cfg := OfflineConfig()
	cfg.ContainerName = func() string { return "taskcontainer" }
	fn := translateTask(cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := fn(tasks[i%len(tasks)]); err != nil {
			b.Fatal(err)
		}
	}
}
