package docker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/moby/client"
)

// imageRecord is what the engine knows of an image it loaded from an
// artifact: which artifact (identity), which image it verified the daemon
// loaded from it, and the sha256 of the artifact's bytes (chain of trust's
// imageArtifactHash).
type imageRecord struct {
	Identity       string `json:"identity"`
	ImageID        string `json:"imageId"`
	ArtifactSHA256 string `json:"artifactSha256"`
}

// cached returns the record of tag when the engine loaded identity as tag
// (in this process, or in an earlier one that kept Options.RecordsDir)
// and the recorded image is still present. A tag without a record, or
// whose record names another identity, is never trusted: it may have been
// planted (by a tarball before dwshim removed their names, or by hand).
// The tag is moved back to the recorded image when it points elsewhere.
func (e *Engine) cached(ctx context.Context, tag, identity string) (imageRecord, bool) {
	rec, ok := e.record(tag)
	if !ok || rec.Identity != identity || rec.ImageID == "" {
		return imageRecord{}, false
	}
	ins, err := e.cli.ImageInspect(ctx, rec.ImageID)
	if err != nil || ins.ID != rec.ImageID {
		return imageRecord{}, false
	}
	if !slices.Contains(ins.RepoTags, tag) {
		if _, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: rec.ImageID, Target: tag}); err != nil {
			return imageRecord{}, false
		}
	}
	return rec, true
}

// record returns the record of tag, from memory or Options.RecordsDir.
func (e *Engine) record(tag string) (imageRecord, bool) {
	e.mu.Lock()
	rec, ok := e.records[tag]
	e.mu.Unlock()
	if ok || e.opts.RecordsDir == "" {
		return rec, ok
	}
	b, err := os.ReadFile(e.recordPath(tag))
	if err != nil || json.Unmarshal(b, &rec) != nil {
		return imageRecord{}, false
	}
	e.mu.Lock()
	e.records[tag] = rec
	e.mu.Unlock()
	return rec, true
}

// remember records rec for tag, in memory and, when set, in
// Options.RecordsDir (written whole, then renamed, so a reader never sees
// half a record). A failure to write only costs a reload later.
func (e *Engine) remember(tag string, rec imageRecord) {
	e.mu.Lock()
	e.records[tag] = rec
	e.mu.Unlock()
	if e.opts.RecordsDir == "" {
		return
	}
	b, _ := json.Marshal(rec)
	path := e.recordPath(tag)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		e.log.Warn("could not keep image record", "dir", e.opts.RecordsDir, "err", err)
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".record-*")
	if err == nil {
		_, err = tmp.Write(b)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		e.log.Warn("could not keep image record", "dir", e.opts.RecordsDir, "err", err)
	}
}

// forget drops the record of tag (GC removed the tag).
func (e *Engine) forget(tag string) {
	e.mu.Lock()
	delete(e.records, tag)
	e.mu.Unlock()
	if e.opts.RecordsDir != "" {
		os.Remove(e.recordPath(tag))
	}
}

func (e *Engine) recordPath(tag string) string {
	_, name, _ := strings.Cut(tag, ":")
	return filepath.Join(e.opts.RecordsDir, name+".json")
}
