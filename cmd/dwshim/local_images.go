package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/imagefetch"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// fileImages serves every image artifact from one local file
// (--image-file).
type fileImages struct {
	path     string
	progress func(r io.ReadCloser, size int64) io.ReadCloser
}

func (f *fileImages) Fetch(_ context.Context, img plan.Image) (io.ReadCloser, string, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("open image file %q for %s: %w", f.path, img, runner.ErrImageNotFound)
		}
		return nil, "", fmt.Errorf("open image file %q for %s: %w", f.path, img, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, "", fmt.Errorf("stat image file %q: %w", f.path, err)
	}
	abs, _ := filepath.Abs(f.path)
	// The identity changes when the file does, so a rebuilt tarball is
	// loaded again rather than served from the engine's image cache.
	id := fmt.Sprintf("file %s (%d bytes, modified %s)", abs, st.Size(), st.ModTime().UTC().Format(time.RFC3339Nano))
	var r io.ReadCloser = fh
	if f.progress != nil {
		r = f.progress(fh, st.Size())
	}
	return r, id, nil
}

// tcImages fetches image artifacts from a Taskcluster deployment through
// the one image fetcher (imagefetch: retries, resumed downloads), with the
// user's credentials or none. Downloads go to a cache folder (one file
// per artifact, kept for later runs), then the file is streamed to the
// engine.
type tcImages struct {
	rootURL  string
	creds    *tcclient.Credentials // nil: anonymous (public artifacts)
	cacheDir string
	// maxCache bounds the bytes kept in cacheDir (least recently used
	// files go first); 0 keeps everything.
	maxCache   int64
	progress   func(r io.ReadCloser, size int64) io.ReadCloser
	dlProgress func(r io.ReadCloser, size int64) io.ReadCloser
	logf       func(format string, args ...any)

	mu sync.Mutex
}

// credentialsFromEnv returns TASKCLUSTER_CLIENT_ID/ACCESS_TOKEN (and
// CERTIFICATE) credentials, or nil when none are set.
func credentialsFromEnv() *tcclient.Credentials {
	c := tcclient.CredentialsFromEnvVars()
	if c == nil || c.ClientID == "" {
		return nil
	}
	return c
}

func (t *tcImages) fetcher() *imagefetch.Fetcher {
	return &imagefetch.Fetcher{RootURL: t.rootURL, Credentials: func() *tcclient.Credentials { return t.creds }, Logf: t.logf}
}

func (t *tcImages) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	f := t.fetcher()
	taskID, err := f.TaskID(ctx, img)
	if err != nil {
		return nil, "", err
	}
	id := "task/" + taskID + "/" + img.Path
	file, err := t.download(ctx, f, taskID, img.Path, id)
	if err != nil {
		return nil, "", err
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, "", fmt.Errorf("open downloaded image %q: %w", file, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, "", fmt.Errorf("stat downloaded image %q: %w", file, err)
	}
	var r io.ReadCloser = fh
	if t.progress != nil {
		r = t.progress(fh, st.Size())
	}
	return r, id, nil
}

// download fetches the artifact once into the cache folder and returns
// the file's path.
func (t *tcImages) download(ctx context.Context, f *imagefetch.Fetcher, taskID, name, id string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sum := sha256.Sum256([]byte(t.rootURL + "\x00" + id))
	file := filepath.Join(t.cacheDir, hex.EncodeToString(sum[:16]))
	if _, err := os.Stat(file); err == nil {
		t.logf("Using downloaded image artifact %q of task %s", name, taskID)
		now := time.Now()
		_ = os.Chtimes(file, now, now) // recently used: evicted last
		return file, nil
	}
	if err := os.MkdirAll(t.cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("create image cache %q: %w", t.cacheDir, err)
	}
	t.logf("Downloading artifact %q from task ID: %s", name, taskID)
	start := time.Now()
	r, err := f.Open(ctx, taskID, name)
	if err != nil {
		return "", fmt.Errorf("%w (from %s)", err, t.rootURL)
	}
	if t.dlProgress != nil {
		r = t.dlProgress(r, -1)
	}
	defer r.Close()
	tmp := file + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return "", fmt.Errorf("store downloaded image: %w", err)
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("download artifact %q of task %s from %s: %w", name, taskID, t.rootURL, err)
	}
	t.logf("Downloaded %d bytes in %s", n, time.Since(start).Round(time.Millisecond))
	evictImages(t.cacheDir, t.maxCache, file, t.logf)
	return file, nil
}

// defaultImageCache is where --root-url downloads are kept.
func defaultImageCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dwshim", "images")
	}
	return filepath.Join(os.TempDir(), "dwshim-images")
}
