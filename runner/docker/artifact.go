package docker

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// loadCall is one in-flight load, shared by every task wanting the same tag.
type loadCall struct {
	done chan struct{}
	err  error
}

// Identifier may be implemented by a runner.ImageFetcher that can name an
// artifact without opening it (the identity Fetch would return). The
// engine then skips Fetch altogether when that image is already loaded.
type Identifier interface {
	Identity(ctx context.Context, img plan.Image) (string, error)
}

// prepareArtifact fetches the image artifact of the task and loads it,
// unless the image of the same identity is already tagged. Concurrent
// loads of one identity share a single fetch.
func (e *Engine) prepareArtifact(ctx context.Context, t *runner.Task, log io.Writer) (string, error) {
	if t.Images == nil {
		return "", fmt.Errorf("%w: no image fetcher for %s", runner.ErrImageNotFound, t.Plan.Image)
	}
	if idf, ok := t.Images.(Identifier); ok {
		if identity, err := idf.Identity(ctx, t.Plan.Image); err == nil {
			tag := artifactTag(e.opts.ImageRepo, identity)
			if _, err := e.cli.ImageInspect(ctx, tag); err == nil {
				e.pin(tag)
				fmt.Fprintf(log, "Using cached image %s (%s)\n", tag, identity)
				return tag, nil
			}
		}
	}
	r, identity, err := t.Images.Fetch(ctx, t.Plan.Image)
	if err != nil {
		return "", fmt.Errorf("fetch image artifact: %w", err)
	}
	defer r.Close()
	tag := artifactTag(e.opts.ImageRepo, identity)
	e.pin(tag)
	image, err := e.loadShared(ctx, r, identity, tag, log)
	if err != nil {
		e.unpin(tag)
	}
	return image, err
}

// loadShared loads r as tag unless it exists, sharing the load with other
// tasks wanting the same tag at the same time.
func (e *Engine) loadShared(ctx context.Context, r io.Reader, identity, tag string, log io.Writer) (string, error) {
	for {
		if _, err := e.cli.ImageInspect(ctx, tag); err == nil {
			fmt.Fprintf(log, "Using cached image %s (%s)\n", tag, identity)
			return tag, nil
		}
		e.mu.Lock()
		call, busy := e.loads[tag]
		if !busy {
			call = &loadCall{done: make(chan struct{})}
			e.loads[tag] = call
		}
		e.mu.Unlock()
		if !busy {
			fmt.Fprintf(log, "Loading image %s as %s\n", identity, tag)
			call.err = e.load(ctx, r, tag, log)
			e.mu.Lock()
			delete(e.loads, tag)
			e.mu.Unlock()
			close(call.done)
			if call.err != nil {
				return "", call.err
			}
			fmt.Fprintf(log, "Loaded image %s\n", tag)
			return tag, nil
		}
		select {
		case <-call.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if call.err != nil && !isContextErr(call.err) {
			return "", call.err
		}
		// Loaded by the other task (or it gave up): look again.
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (e *Engine) pin(tag string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pins[tag]++
	e.used[tag] = e.opts.Now()
}

func (e *Engine) unpin(tag string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pins[tag] > 0 {
		e.pins[tag]--
	}
	if e.pins[tag] == 0 {
		delete(e.pins, tag)
	}
}

// load streams r, decompressed, into the daemon and tags the image.
// The image ID comes from the tarball's own manifest.json (read from the
// same stream as it passes by), so tags inside the tarball, however they
// collide with other images, never decide which image a task runs.
func (e *Engine) load(ctx context.Context, r io.Reader, tag string, log io.Writer) error {
	dr, err := decompress(r)
	if err != nil {
		return fmt.Errorf("load image artifact: %w", err)
	}
	defer dr.Close()
	fmt.Fprintf(log, "Image artifact is %s\n", describe(dr.kind))
	pr, pw := io.Pipe()
	manifest := make(chan manifestResult, 1)
	go func() { manifest <- scanManifest(pr) }()
	body := io.TeeReader(dr, pw)
	res, err := e.cli.ImageLoad(ctx, body, client.ImageLoadWithQuiet(false))
	if err != nil {
		pw.CloseWithError(err)
		<-manifest
		return wrap("load image artifact", err)
	}
	out, lerr := readLoadStream(res)
	res.Close()
	// The daemon has read the archive once it answered. Closing the pipe
	// (not draining dr, which the HTTP transport may still hold) ends the
	// scan; the manifest has passed by then.
	pw.Close()
	m := <-manifest
	if lerr != nil {
		return fmt.Errorf("load image artifact: %w", lerr)
	}
	id, err := e.loadedImageID(ctx, m, out)
	if err != nil {
		return fmt.Errorf("load image artifact: %w", err)
	}
	if _, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: id, Target: tag}); err != nil {
		return wrap(fmt.Sprintf("tag image %s as %s", id, tag), err)
	}
	return nil
}

func describe(c Compression) string {
	if c == CompressionNone {
		return "an uncompressed tar"
	}
	return "a " + string(c) + "-compressed tar"
}

// loadOutput is what the daemon's load answer says was loaded.
type loadOutput struct {
	names []string // "Loaded image: <name>"
	ids   []string // "Loaded image ID: <id>"
}

// readLoadStream reads the JSON message stream of an image load.
func readLoadStream(r io.Reader) (loadOutput, error) {
	var out loadOutput
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, fmt.Errorf("read daemon answer: %w", err)
		}
		if m.Error != nil {
			return out, errors.New(m.Error.Message)
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			line = strings.TrimSpace(line)
			if v, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
				out.ids = append(out.ids, v)
			} else if v, ok := strings.CutPrefix(line, "Loaded image: "); ok {
				out.names = append(out.names, v)
			}
		}
	}
}

// loadedImageID decides which image was loaded: the manifest's config
// digest, else the daemon's "Loaded image ID" lines, else the IDs of its
// "Loaded image" names. More than one distinct image is refused, as
// docker-worker did: which one should run would be a guess.
func (e *Engine) loadedImageID(ctx context.Context, m manifestResult, out loadOutput) (string, error) {
	ids := m.ids
	if len(ids) == 0 {
		ids = out.ids
	}
	if len(ids) == 0 {
		for _, n := range out.names {
			ins, err := e.cli.ImageInspect(ctx, n)
			if err != nil {
				return "", wrap(fmt.Sprintf("find loaded image %q", n), err)
			}
			ids = append(ids, ins.ID)
		}
	}
	ids = dedupe(ids)
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("the daemon reported no image (manifest: %v)", m.err)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("the artifact holds %d images (%s); it must hold exactly one", len(ids), strings.Join(ids, ", "))
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// manifestResult is what scanManifest found.
type manifestResult struct {
	ids []string // "sha256:<hex>" config digests = image IDs
	err error
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// scanManifest reads a docker-archive tar and returns the image IDs named
// by its manifest.json. It always reads r to the end, so the writer never
// blocks, and holds at most the manifest in memory.
func scanManifest(r io.Reader) (res manifestResult) {
	defer func() { _, _ = io.Copy(io.Discard, r) }()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			} else if res.ids == nil && res.err == nil {
				res.err = errors.New("no manifest.json")
			}
			return res
		}
		if path.Clean(h.Name) != "manifest.json" {
			continue
		}
		var entries []struct{ Config string }
		if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&entries); err != nil {
			res.err = fmt.Errorf("manifest.json: %w", err)
			continue
		}
		for _, en := range entries {
			hex := strings.TrimSuffix(path.Base(en.Config), ".json")
			if !hex64.MatchString(hex) {
				res.err = fmt.Errorf("manifest.json: config %q is not named by its digest", en.Config)
				continue
			}
			res.ids = append(res.ids, "sha256:"+hex)
		}
	}
}
