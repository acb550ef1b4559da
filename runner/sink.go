package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// ArtifactSink receives the artifacts of one run, as the runner reads them
// out of the container. The worker's sink uploads to the queue; DirSink
// writes a folder.
//
// Contract: calls for one run come one at a time, in artifact order.
// Names are artifact names ("public/build/x.tar.gz", and for directory
// artifacts "<name>/<relative path>"): slash-separated, never absolute,
// never containing "." or ".." elements. PutFile reads r to its end
// (exactly size bytes) or returns an error; it must not keep r after it
// returns. An error from PutFile is an infrastructure failure of this
// artifact; the runner records it and goes on with the next one.
type ArtifactSink interface {
	PutFile(ctx context.Context, name string, r io.Reader, size int64, expires time.Time) error
	// PutError records an error artifact (reason as the queue spells it:
	// file-missing-on-worker, invalid-resource-on-worker, …).
	PutError(ctx context.Context, name, reason, message string, expires time.Time) error
}

// Error artifact reasons, as the queue spells them.
const (
	ReasonFileMissing     = "file-missing-on-worker"
	ReasonInvalidResource = "invalid-resource-on-worker"
)

// DirSink writes artifacts as files under a folder: artifact "a/b.txt" is
// Dir/a/b.txt. Writes go through os.Root, so no name and no symbolic
// link already in the folder can make a write land outside it. Error
// artifacts write no file; they are kept in Errors.
type DirSink struct {
	root *os.Root

	mu     sync.Mutex
	errors []ArtifactRecord
}

// NewDirSink creates dir if needed and opens it as the artifacts folder.
func NewDirSink(dir string) (*DirSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create artifacts folder %q: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open artifacts folder %q: %w", dir, err)
	}
	return &DirSink{root: root}, nil
}

// Close releases the folder.
func (s *DirSink) Close() error { return s.root.Close() }

// PutFile writes r to the file name under the folder, replacing any file
// of that name.
func (s *DirSink) PutFile(_ context.Context, name string, r io.Reader, size int64, _ time.Time) error {
	if err := checkName(name); err != nil {
		return err
	}
	if dir := path.Dir(name); dir != "." {
		if err := s.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("artifact %q: create folder: %w", name, err)
		}
	}
	// Remove first so an existing symbolic link of that name is replaced,
	// never followed.
	if err := s.root.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("artifact %q: replace: %w", name, err)
	}
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("artifact %q: %w", name, err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("wrote %d bytes, want %d", n, size)
	}
	if err != nil {
		return fmt.Errorf("artifact %q: write: %w", name, err)
	}
	return nil
}

// PutError records the error artifact.
func (s *DirSink) PutError(_ context.Context, name, reason, message string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors = append(s.errors, ArtifactRecord{Name: name, Kind: "error", Reason: reason, Message: message, Expires: expires})
	return nil
}

// Errors returns the error artifacts recorded so far.
func (s *DirSink) Errors() []ArtifactRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ArtifactRecord(nil), s.errors...)
}

// checkName rejects names that are not clean relative slash paths.
func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name {
		return fmt.Errorf("artifact name %q is not a clean relative path", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." || el == "." {
			return fmt.Errorf("artifact name %q must not contain %q", name, el)
		}
	}
	return nil
}
