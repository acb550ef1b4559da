package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

func TestDetectAndDecompress(t *testing.T) {
	for _, c := range []string{"none", "gzip", "zstd", "lz4", "xz", "bzip2"} {
		var plain, packed bytes.Buffer
		o := testimages.Options{Tags: []string{"x:y"}, Files: map[string]string{"f": "data"}}
		if err := testimages.Build(&plain, o); err != nil {
			t.Fatal(err)
		}
		o.Compression = c
		if err := testimages.Build(&packed, o); err != nil {
			t.Fatal(err)
		}
		d, err := decompress(bytes.NewReader(packed.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if want := map[string]Compression{"none": CompressionNone, "gzip": CompressionGzip, "zstd": CompressionZstd, "lz4": CompressionLZ4, "xz": CompressionXZ, "bzip2": CompressionBzip}[c]; d.kind != want {
			t.Errorf("%s: detected %s", c, d.kind)
		}
		got, err := io.ReadAll(d)
		d.Close()
		if err != nil || !bytes.Equal(got, plain.Bytes()) {
			t.Errorf("%s: decompressed %d bytes (err %v), want the %d-byte tar", c, len(got), err, plain.Len())
		}
		if id, err := rewriteArchive(io.Discard, bytes.NewReader(got)); !strings.HasPrefix(id, "sha256:") || err != nil {
			t.Errorf("%s: image id %q err %v", c, id, err)
		}
	}
	for _, junk := range []string{"", "PK\x03\x04 a zip", strings.Repeat("x", 600)} {
		if _, err := decompress(strings.NewReader(junk)); !errors.Is(err, errNotImage) {
			t.Errorf("%q: err = %v", junk[:min(len(junk), 8)], err)
		}
	}
}

func TestReadLoadStream(t *testing.T) {
	in := `{"stream":"The image a:b already exists, renaming the old one with ID sha256:1 to empty string\n"}
{"stream":"Loaded image: a:b\n"}{"stream":"Loaded image: a:c\n"}
{"stream":"Loaded image ID: sha256:abc\n"}`
	out, err := readLoadStream(strings.NewReader(in))
	if err != nil || strings.Join(out.names, ",") != "a:b,a:c" || strings.Join(out.ids, ",") != "sha256:abc" {
		t.Errorf("got %+v, %v", out, err)
	}
	if _, err := readLoadStream(strings.NewReader(`{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}`)); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("error message: %v", err)
	}
}

func TestRetryDelay(t *testing.T) {
	p := RetryPolicy{Base: 15e9, Jitter: 0.25, Rand: func() float64 { return 1 }}
	if d := p.delay(1); d != 18750e6 {
		t.Errorf("delay(1) = %v", d)
	}
	p.Rand = func() float64 { return 0 }
	if d := p.delay(3); d != 45e9 {
		t.Errorf("delay(3) = %v", d)
	}
}

// countingFetcher serves a file and counts fetches.
type countingFetcher struct {
	mu       sync.Mutex
	path, id string
	n        int
}

func (f *countingFetcher) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	r, err := os.Open(f.path)
	return r, f.id, err
}

// identifyingFetcher also names artifacts without opening them.
type identifyingFetcher struct{ *countingFetcher }

func (f identifyingFetcher) Identity(context.Context, plan.Image) (string, error) { return f.id, nil }

// TestArtifactIdentifier: a fetcher that can name the artifact is not
// asked to fetch it again once the image is loaded.
func TestArtifactIdentifier(t *testing.T) {
	e := newTestEngine(t)
	f := identifyingFetcher{&countingFetcher{path: artifactFile(t, "lz4"), id: t.Name()}}
	for i := range 2 {
		task := artifactTask(t, fmt.Sprintf("ident-%d", i), f)
		t.Cleanup(func() { e.Destroy(context.Background(), task) })
		if err := e.Prepare(context.Background(), task, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if f.n != 1 {
		t.Errorf("%d fetches, want 1", f.n)
	}
}

func artifactTask(t *testing.T, key string, f runner.ImageFetcher) *runner.Task {
	return &runner.Task{
		Plan: &plan.Plan{
			Image:   plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "t", Path: "public/image.tar"},
			Command: []string{"cat", "/etc/test-name"},
		},
		Key: key, WorkerID: testWorker, Images: f,
	}
}

// TestArtifactTagCollision loads two different tarballs that carry the same
// tag (the second one "renames" the first in the daemon) and an untagged
// one; each task must run its own image.
func TestArtifactTagCollision(t *testing.T) {
	e := newTestEngine(t)
	dir := t.TempDir()
	build := func(name string, tags []string) string {
		p := filepath.Join(dir, name)
		err := testimages.BuildFile(p, testimages.Options{
			Tags: tags, Compression: "zstd",
			Labels: map[string]string{testLabel: labelValue(t)},
			Files:  map[string]string{"etc/test-name": name},
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := []string{"dwshim-test/collide:latest"}
	for _, c := range []struct {
		file string
		tags []string
	}{{"one", same}, {"two", same}, {"untagged", nil}, {"two-tags", []string{"dwshim-test/collide:a", "dwshim-test/collide:b"}}} {
		f := &countingFetcher{path: build(c.file, c.tags), id: fmt.Sprintf("%s/%s", t.Name(), c.file)}
		task := artifactTask(t, "collide-"+c.file, f)
		t.Cleanup(func() { e.Destroy(context.Background(), task) })
		var log, out bytes.Buffer
		if err := e.Prepare(context.Background(), task, &log); err != nil {
			t.Fatalf("%s: Prepare: %v\n%s", c.file, err, log.String())
		}
		if ex, err := e.Run(context.Background(), task, &out); err != nil || ex.Code != 0 || out.String() != c.file {
			t.Errorf("%s: exit %+v err %v output %q", c.file, ex, err, out.String())
		}
	}
}

// TestArtifactSingleflight prepares one identity from several tasks at once:
// one load, every task gets the image.
func TestArtifactSingleflight(t *testing.T) {
	e := newTestEngine(t)
	f := &countingFetcher{path: artifactFile(t, "gzip"), id: t.Name()}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	logs := make([]bytes.Buffer, 4)
	for i := range errs {
		task := artifactTask(t, fmt.Sprintf("sf-%d", i), f)
		t.Cleanup(func() { e.Destroy(context.Background(), task) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Prepare(context.Background(), task, &logs[i])
		}()
	}
	wg.Wait()
	loads := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("task %d: %v", i, err)
		}
		if strings.Contains(logs[i].String(), "Loading image") {
			loads++
		}
	}
	if loads != 1 {
		t.Errorf("%d loads, want 1", loads)
	}
}

func TestArtifactNotAnImage(t *testing.T) {
	e := newTestEngine(t)
	p := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(p, []byte(strings.Repeat("not an image ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	task := artifactTask(t, "junk", &countingFetcher{path: p, id: t.Name()})
	defer e.Destroy(context.Background(), task)
	err := e.Prepare(context.Background(), task, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a tar, gzip, zstd, lz4, xz or bzip2") {
		t.Errorf("err = %v", err)
	}
}

// TestArtifactXZAndBzip2 loads tarballs compressed by the xz and bzip2
// commands (d2g's `docker load` accepted them).
func TestArtifactXZAndBzip2(t *testing.T) {
	e := newTestEngine(t)
	for _, c := range []string{"xz", "bzip2"} {
		task := artifactTask(t, "compressed-"+c, &countingFetcher{path: artifactFile(t, c), id: t.Name() + "/" + c})
		t.Cleanup(func() { e.Destroy(context.Background(), task) })
		var log, out bytes.Buffer
		if err := e.Prepare(context.Background(), task, &log); err != nil {
			t.Fatalf("%s: %v\n%s", c, err, log.String())
		}
		if !strings.Contains(log.String(), "a "+c+"-compressed tar") {
			t.Errorf("%s: log %q", c, log.String())
		}
		if ex, err := e.Run(context.Background(), task, &out); err != nil || ex.Code != 0 || out.String() != t.Name() {
			t.Errorf("%s: exit %+v err %v out %q", c, ex, err, out.String())
		}
	}
}

// TestXZDictionaryBound: an xz stream asking for a dictionary over the
// bound is refused before anything is allocated.
func TestXZDictionaryBound(t *testing.T) {
	head := func(code byte) []byte {
		h := append([]byte{}, magicXZ...)
		h = append(h, 0, 1, 0, 0, 0, 0) // flags (CRC32), CRC
		// Block header: size (2+1)*4=12 bytes: flags (1 filter), LZMA2 id, 1 byte of props, padding, CRC.
		h = append(h, 2, 0x00, 0x21, 0x01, code, 0, 0, 0, 0, 0, 0, 0)
		return append(h, make([]byte, 500)...)
	}
	if err := checkXZDict(head(22)); err != nil { // 8 MiB (xz -6)
		t.Errorf("8 MiB: %v", err)
	}
	if err := checkXZDict(head(36)); err == nil || !strings.Contains(err.Error(), "1024 MiB dictionary") {
		t.Errorf("1 GiB: %v", err)
	}
}
