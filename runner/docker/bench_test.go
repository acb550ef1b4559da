package docker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// procStatusKiB reads a "Vm…:" line of /proc/self/status.
func procStatusKiB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// BenchmarkArtifactLoad loads a ~100 MB incompressible .tar.zst through
// Prepare (detect, decompress, stream into the daemon, tag) and reports the
// peak RSS growth during the load (VmHWM after resetting it), in MiB.
// scripts/bench-engine.sh compares with `zstd -dc | docker load`.
func BenchmarkArtifactLoad(b *testing.B) {
	cli := requireDocker(b)
	size := int64(100_000_000)
	if v, err := strconv.ParseInt(os.Getenv("DWSHIM_BENCH_BYTES"), 10, 64); err == nil {
		size = v
	}
	label := testLabelPrefix + b.Name()
	path := filepath.Join(b.TempDir(), "image.tar.zst")
	err := testimages.BuildFile(path, testimages.Options{
		Tags: []string{"dwshim-test/bench:latest"}, Compression: "zstd", FillerBytes: size,
		Labels: map[string]string{testLabel: label},
	})
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Options{ImageRepo: fmt.Sprintf("dwshim-test/bench-%d", os.Getpid())})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.Cleanup(func() { removeTestImages(b, cli, label) })
	var peak int64
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		removeTestImages(b, cli, label)
		// "5" resets VmHWM to the current RSS (Linux ≥ 4.0).
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Fatalf("reset peak RSS: %v", err)
		}
		before, _ := procStatusKiB("VmRSS")
		task := artifactTask(nil, fmt.Sprintf("bench-%d-%d", os.Getpid(), i), &countingFetcher{path: path, id: fmt.Sprintf("bench/%d", i)})
		b.StartTimer()
		if err := e.Prepare(context.Background(), task, io.Discard); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		hwm, _ := procStatusKiB("VmHWM")
		peak = max(peak, hwm-before)
		if err := e.Destroy(context.Background(), task); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.ImageRemove(context.Background(), artifactTag(e.opts.ImageRepo, fmt.Sprintf("bench/%d", i)), client.ImageRemoveOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/1024, "peak-MiB")
}
