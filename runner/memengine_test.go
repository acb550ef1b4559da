package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
)

// memEngine is an in-memory Engine for testing the runner's policy. Its
// "container" is a map of paths; CopyOut builds tar streams laid out the
// way the Docker archive endpoint does (top entry named after the base of
// the path, children below it).
type memEngine struct {
	mu         sync.Mutex
	prepareErr error
	run        func(ctx context.Context, out io.Writer) (Exit, error)
	fs         map[string]memFile
	copyErr    error
	calls      []string
}

type memFile struct {
	dir  bool
	data string
	link string // symbolic link target
	hard string // hard link: archive name of the first copy
}

func (e *memEngine) record(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, s)
}

func (e *memEngine) called(s string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if c == s {
			n++
		}
	}
	return n
}

func (e *memEngine) Prepare(_ context.Context, _ *Task, log io.Writer) error {
	e.record("prepare")
	fmt.Fprintln(log, "preparing image")
	return e.prepareErr
}

func (e *memEngine) Run(ctx context.Context, _ *Task, out io.Writer) (Exit, error) {
	e.record("run")
	if e.run == nil {
		return Exit{}, nil
	}
	return e.run(ctx, out)
}

func (e *memEngine) CopyOut(_ context.Context, _ *Task, p string) (io.ReadCloser, error) {
	e.record("copyout")
	if e.copyErr != nil {
		return nil, e.copyErr
	}
	f, ok := e.fs[p]
	if !ok {
		return nil, fmt.Errorf("stat %q: %w", p, ErrPathNotFound)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := path.Base(p)
	e.writeEntry(tw, base, f)
	if f.dir {
		var names []string
		for k := range e.fs {
			if strings.HasPrefix(k, p+"/") {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			e.writeEntry(tw, base+"/"+strings.TrimPrefix(k, p+"/"), e.fs[k])
		}
	}
	tw.Close()
	return io.NopCloser(&buf), nil
}

func (e *memEngine) writeEntry(tw *tar.Writer, name string, f memFile) {
	switch {
	case f.dir:
		tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	case f.link != "":
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: f.link})
	case f.hard != "":
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: f.hard})
	default:
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data))})
		io.WriteString(tw, f.data)
	}
}

func (e *memEngine) Destroy(context.Context, *Task) error {
	e.record("destroy")
	return nil
}

func (e *memEngine) PurgeCaches(context.Context, *Task) error {
	e.record("purge")
	return nil
}
