package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/dwshim/dwshim/plan"
)

// rawEngine serves the same bytes for every CopyOut: an arbitrary "tar
// stream" from a hostile or broken engine.
type rawEngine struct {
	memEngine
	data []byte
}

func (e *rawEngine) CopyOut(context.Context, *Task, string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(e.data)), nil
}

func tarOf(entries ...tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = 1
		}
		tw.WriteHeader(&h)
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	return b.Bytes()
}

// FuzzArtifactExtraction checks that no archive makes the runner write
// outside the artifacts folder, or write a symbolic link.
func FuzzArtifactExtraction(f *testing.F) {
	f.Add(tarOf(tar.Header{Name: "out/", Typeflag: tar.TypeDir}, tar.Header{Name: "out/a", Typeflag: tar.TypeReg}))
	f.Add(tarOf(tar.Header{Name: "out/", Typeflag: tar.TypeDir}, tar.Header{Name: "out/../../x", Typeflag: tar.TypeReg}))
	f.Add(tarOf(tar.Header{Name: "out/", Typeflag: tar.TypeDir}, tar.Header{Name: "/abs", Typeflag: tar.TypeReg}))
	f.Add(tarOf(tar.Header{Name: "out/", Typeflag: tar.TypeDir},
		tar.Header{Name: "out/l", Typeflag: tar.TypeSymlink, Linkname: "/tmp"},
		tar.Header{Name: "out/l/x", Typeflag: tar.TypeReg}))
	f.Add(tarOf(tar.Header{Name: "out/", Typeflag: tar.TypeDir},
		tar.Header{Name: "out/h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}))
	f.Add(tarOf(tar.Header{Name: "out", Typeflag: tar.TypeSymlink, Linkname: "../.."}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Huge (sparse) entries are a disk benchmark, not a safety question.
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if h.Size > 1<<20 {
				return
			}
		}
		parent := t.TempDir()
		sink, err := NewDirSink(filepath.Join(parent, "art"))
		if err != nil {
			t.Fatal(err)
		}
		defer sink.Close()
		e := &rawEngine{data: data}
		task := newTestTask()
		task.Plan.Artifacts = []plan.Artifact{
			{Name: "d", Path: "/out", Kind: plan.ArtifactDirectory},
			{Name: "f", Path: "/out", Kind: plan.ArtifactFile},
		}
		r, _ := New(Config{Engine: e, Now: fixedClock()})
		r.Run(context.Background(), task, RunOptions{Log: io.Discard, Artifacts: sink})
		filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(parent, p)
			if rel != "." && rel != "art" && !bytes.HasPrefix([]byte(rel), []byte("art"+string(os.PathSeparator))) {
				t.Errorf("wrote outside the folder: %s", rel)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				t.Errorf("wrote a symbolic link: %s", rel)
			}
			return nil
		})
	})
}
