package worker

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// compressedExts are extensions generic-worker uploads without gzip.
var compressedExts = map[string]bool{
	"7z": true, "aab": true, "apk": true, "bz2": true, "deb": true, "dmg": true, "flv": true, "gif": true,
	"gz": true, "jar": true, "jpeg": true, "jpg": true, "npz": true, "pkg": true, "png": true, "swf": true,
	"tbz": true, "tgz": true, "wasm": true, "webp": true, "whl": true, "woff": true, "woff2": true,
	"xpi": true, "xz": true, "zip": true, "zst": true, "lz4": true,
}

// ContentTypeFor guesses an artifact's Content-Type from its name.
func ContentTypeFor(name string) string {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".log", ".txt":
		return "text/plain; charset=utf-8"
	case ".json":
		return "application/json"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// gzipFor reports whether name is stored gzip-encoded. The bulk log is,
// despite its .gz name: docker-worker stored it as text/plain with
// Content-Encoding gzip.
// The chain-of-trust certificate and signature are stored plain, as
// docker-worker did (scriptworker reads them as they are).
func gzipFor(name string) bool {
	if name == cotCertName || name == cotSigName {
		return false
	}
	return name == bulkLogName || !compressedExts[strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")]
}

// Artifacts uploads the artifacts of one task run with the run's current
// credentials. Data is spooled to a temporary file (gzip'd where
// generic-worker would), hashed, and PUT with retries, so memory stays flat.
// Safe for concurrent use.
type Artifacts struct {
	queue   Queue
	creds   func() Credentials
	taskID  string
	runID   int
	tmpDir  string
	expires time.Time // the task's expiry: the default and upper bound
	client  *http.Client
	retry   RetryPolicy
	objects ObjectService // nil: s3 artifacts

	mu     sync.Mutex
	hashes map[string]string
	names  map[string]bool
}

// ObjectService is the object service subset used for object artifacts.
type ObjectService interface {
	// CreateUpload starts an upload (object.createUpload) and returns the
	// response body.
	CreateUpload(ctx context.Context, creds Credentials, name string, req any) (json.RawMessage, error)
	// FinishUpload ends it (object.finishUpload).
	FinishUpload(ctx context.Context, creds Credentials, name string, req any) error
}

// Hashes returns name → sha256 (hex) of every uploaded data artifact.
func (a *Artifacts) Hashes() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]string, len(a.hashes))
	for k, v := range a.hashes {
		out[k] = v
	}
	return out
}

// Names returns the names of the artifacts created so far, sorted.
func (a *Artifacts) Names() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.names))
	for k := range a.names {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (a *Artifacts) expiry(e time.Time) time.Time {
	if e.IsZero() || (!a.expires.IsZero() && e.After(a.expires)) {
		return a.expires
	}
	return e
}

func (a *Artifacts) create(ctx context.Context, name string, req any) (json.RawMessage, error) {
	resp, err := a.queue.CreateArtifact(ctx, a.creds(), a.taskID, a.runID, name, req)
	if err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", name, err)
	}
	a.mu.Lock()
	a.names[name] = true
	a.mu.Unlock()
	return resp, nil
}

// Upload streams r into artifact name. contentType "" guesses from the name.
func (a *Artifacts) Upload(ctx context.Context, name, contentType string, expires time.Time, r io.Reader) error {
	if contentType == "" {
		contentType = ContentTypeFor(name)
	}
	f, err := os.CreateTemp(a.tmpDir, "artifact-*")
	if err != nil {
		return fmt.Errorf("artifact %q: spool: %w", name, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h, h512 := sha256.New(), sha512.New()
	encoding := ""
	var w io.Writer = f
	var gz *gzip.Writer
	if gzipFor(name) && a.objects == nil {
		encoding = "gzip"
		gz = gzip.NewWriter(f)
		w = gz
	}
	if _, err := io.Copy(io.MultiWriter(w, h, h512), r); err != nil {
		return fmt.Errorf("artifact %q: read: %w", name, err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("artifact %q: gzip: %w", name, err)
		}
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("artifact %q: spool: %w", name, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if a.objects != nil {
		err = a.uploadObject(ctx, name, contentType, a.expiry(expires), f, size, sum, hex.EncodeToString(h512.Sum(nil)))
	} else {
		err = a.uploadS3(ctx, name, contentType, encoding, a.expiry(expires), f, size)
	}
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.hashes[name] = sum
	a.mu.Unlock()
	return nil
}

// UploadFile uploads the file at p as artifact name.
func (a *Artifacts) UploadFile(ctx context.Context, name, p, contentType string, expires time.Time) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("artifact %q: %w", name, err)
	}
	defer f.Close()
	return a.Upload(ctx, name, contentType, expires, f)
}

func (a *Artifacts) uploadS3(ctx context.Context, name, contentType, encoding string, expires time.Time, f *os.File, size int64) error {
	resp, err := a.create(ctx, name, map[string]any{
		"storageType": "s3", "contentType": contentType, "expires": tcTime(expires),
	})
	if err != nil {
		return err
	}
	var s3 struct {
		PutURL string `json:"putUrl"`
	}
	if err := json.Unmarshal(resp, &s3); err != nil || s3.PutURL == "" {
		return fmt.Errorf("create artifact %q: no putUrl in response %s", name, resp)
	}
	hdr := http.Header{"Content-Type": {contentType}}
	if encoding != "" {
		hdr.Set("Content-Encoding", encoding)
	}
	return a.put(ctx, name, s3.PutURL, hdr, f, size)
}

// put PUTs the spooled file to url, retrying 5xx and network errors.
func (a *Artifacts) put(ctx context.Context, name, url string, hdr http.Header, f *os.File, size int64) error {
	delay := a.retry.Initial
	deadline := time.Now().Add(a.retry.MaxElapsed)
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, io.NewSectionReader(f, 0, size))
		if err != nil {
			return fmt.Errorf("upload artifact %q: %w", name, err)
		}
		req.Header = hdr.Clone()
		req.ContentLength = size
		resp, err := a.client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
			if resp.StatusCode/100 != 5 {
				return fmt.Errorf("upload artifact %q: %w", name, err)
			}
		}
		if ctx.Err() != nil || time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("upload artifact %q: attempt %d: %w", name, attempt, err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return fmt.Errorf("upload artifact %q: %w", name, ctx.Err())
		}
		delay = min(delay*2, a.retry.Max)
	}
}

// Error creates an error artifact (reason: file-missing-on-worker, …).
func (a *Artifacts) Error(ctx context.Context, name, reason, message string, expires time.Time) error {
	_, err := a.create(ctx, name, map[string]any{
		"storageType": "error", "reason": reason, "message": message, "expires": tcTime(a.expiry(expires)),
	})
	return err
}

// Reference creates a reference artifact pointing at url.
func (a *Artifacts) Reference(ctx context.Context, name, url, contentType string, expires time.Time) error {
	_, err := a.create(ctx, name, map[string]any{
		"storageType": "reference", "url": url, "contentType": contentType, "expires": tcTime(a.expiry(expires)),
	})
	return err
}

// Link creates a link artifact to target (another artifact of the run).
func (a *Artifacts) Link(ctx context.Context, name, target, contentType string, expires time.Time) error {
	_, err := a.create(ctx, name, map[string]any{
		"storageType": "link", "artifact": target, "contentType": contentType, "expires": tcTime(a.expiry(expires)),
	})
	return err
}

func tcTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
