package taskfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWalkSkipsNonRegular: a FIFO named *.json would block the reader
// forever; Walk leaves it out, and keeps symlinks to regular files.
func TestWalkSkipsNonRegular(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"image": "a"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.json", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("fifo.json", filepath.Join(dir, "fifolink.json")); err != nil {
		t.Fatal(err)
	}
	files, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		rel = append(rel, r)
	}
	if d := cmp.Diff([]string{"a.json", "link.json"}, rel); d != "" {
		t.Errorf("Walk (-want +got):\n%s", d)
	}
}

func TestNewItem(t *testing.T) {
	it := NewItem("t.yml", 2, []byte(`{"taskId": "x", "payload": {"image": "a"}}`), func(p string) (int, int, bool) { return 7, len(p) + 1, true })
	if it.Kind != TaskDefinition || it.Format != DockerWorker || it.TaskID != "x" || it.Line != 7 || it.Column != 1 {
		t.Fatalf("%+v", it)
	}
	if l, c, ok := it.Locate("/payload"); l != 7 || c != 9 || !ok {
		t.Fatalf("Locate = %d %d %v", l, c, ok)
	}
}
