package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// unless the image this identity was loaded as is still present (see
// cached). Concurrent loads of one identity share a single fetch. It
// returns the record of the image, whose ID the container is created from.
func (e *Engine) prepareArtifact(ctx context.Context, t *runner.Task, log io.Writer) (imageRecord, error) {
	if t.Images == nil {
		return imageRecord{}, fmt.Errorf("%w: no image fetcher for %s", runner.ErrImageNotFound, t.Plan.Image)
	}
	if idf, ok := t.Images.(Identifier); ok {
		if identity, err := idf.Identity(ctx, t.Plan.Image); err == nil {
			tag := artifactTag(e.opts.ImageRepo, identity)
			if rec, ok := e.cached(ctx, tag, identity); ok {
				e.pin(tag)
				fmt.Fprintf(log, "Using cached image %s (%s, %s)\n", tag, identity, rec.ImageID)
				return rec, nil
			}
		}
	}
	r, identity, err := t.Images.Fetch(ctx, t.Plan.Image)
	if err != nil {
		return imageRecord{}, fmt.Errorf("fetch image artifact: %w", err)
	}
	defer r.Close()
	tag := artifactTag(e.opts.ImageRepo, identity)
	e.pin(tag)
	rec, err := e.loadShared(ctx, r, identity, tag, log)
	if err != nil {
		e.unpin(tag)
	}
	return rec, err
}

// loadShared loads r as tag unless it is cached, sharing the load with
// other tasks wanting the same tag at the same time.
func (e *Engine) loadShared(ctx context.Context, r io.Reader, identity, tag string, log io.Writer) (imageRecord, error) {
	for {
		if rec, ok := e.cached(ctx, tag, identity); ok {
			fmt.Fprintf(log, "Using cached image %s (%s, %s)\n", tag, identity, rec.ImageID)
			return rec, nil
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
			rec, err := e.load(ctx, r, identity, tag, log)
			call.err = err
			e.mu.Lock()
			delete(e.loads, tag)
			e.mu.Unlock()
			close(call.done)
			if err != nil {
				return imageRecord{}, err
			}
			fmt.Fprintf(log, "Loaded image %s as %s\n", rec.ImageID, tag)
			return rec, nil
		}
		select {
		case <-call.done:
		case <-ctx.Done():
			return imageRecord{}, ctx.Err()
		}
		if call.err != nil && !isContextErr(call.err) {
			return imageRecord{}, call.err
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

// errLoadAnswered ends the archive writer once the daemon has answered.
var errLoadAnswered = errors.New("the daemon answered the load")

// rewritten is the outcome of rewriteArchive on the load's stream.
type rewritten struct {
	id  string
	err error
}

// load streams r, decompressed and stripped of every image name (see
// rewriteArchive), into the daemon, checks that the daemon loaded exactly
// the image whose config passed by, and tags that image ID as tag. No
// name inside a tarball ever reaches the daemon, so no tag on the host,
// named image or another artifact's, can be replaced by an artifact.
func (e *Engine) load(ctx context.Context, r io.Reader, identity, tag string, log io.Writer) (imageRecord, error) {
	fail := func(err error) (imageRecord, error) {
		return imageRecord{}, fmt.Errorf("load image artifact: %w", err)
	}
	sum := sha256.New()
	src := &sourceReader{r: r}
	raw := io.TeeReader(src, sum)
	dr, err := decompress(raw)
	if err != nil {
		return fail(err)
	}
	defer dr.Close()
	fmt.Fprintf(log, "Image artifact is %s\n", describe(dr.kind))
	pr, pw := io.Pipe()
	done := make(chan rewritten, 1)
	go func() {
		id, err := rewriteArchive(pw, dr)
		pw.CloseWithError(err)
		if err == nil {
			// The rest of the artifact (compression trailer, padding)
			// belongs to the digest of the bytes as downloaded.
			_, err = io.Copy(io.Discard, raw)
		}
		done <- rewritten{id, err}
	}()
	res, err := e.cli.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(false))
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return imageRecord{}, wrap("load image artifact", err)
	}
	out, lerr := readLoadStream(res)
	res.Close()
	pr.CloseWithError(errLoadAnswered)
	rw := <-done
	switch {
	case src.err != nil:
		return fail(fmt.Errorf("read image artifact: %w", src.err))
	case rw.err != nil && !errors.Is(rw.err, errLoadAnswered):
		return fail(fmt.Errorf("%w: %w", runner.ErrImageNotFound, rw.err))
	case lerr != nil:
		return fail(lerr)
	case rw.err != nil:
		return fail(errors.New("the daemon answered before it read the whole image"))
	}
	if err := e.verifyLoaded(ctx, rw.id, out); err != nil {
		return fail(err)
	}
	if _, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: rw.id, Target: tag}); err != nil {
		return imageRecord{}, wrap(fmt.Sprintf("tag image %s as %s", rw.id, tag), err)
	}
	rec := imageRecord{Identity: identity, ImageID: rw.id, ArtifactSHA256: hex.EncodeToString(sum.Sum(nil))}
	e.remember(tag, rec)
	return rec, nil
}

// sourceReader remembers a read error of the artifact stream (a download
// that broke), which is the worker's problem, not the task's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// verifyLoaded checks the daemon's answer against the image ID computed
// from the archive: it must have loaded that image and no name.
func (e *Engine) verifyLoaded(ctx context.Context, want string, out loadOutput) error {
	if len(out.names) > 0 {
		return fmt.Errorf("the daemon named the loaded image %s although its names were removed", strings.Join(out.names, ", "))
	}
	ids := dedupe(out.ids)
	if len(ids) != 1 || ids[0] != want {
		return fmt.Errorf("%w: the daemon loaded %v, but the tarball's image config is %s", runner.ErrImageNotFound, ids, want)
	}
	ins, err := e.cli.ImageInspect(ctx, want)
	if err != nil {
		return wrap(fmt.Sprintf("inspect loaded image %s", want), err)
	}
	if ins.ID != want {
		return fmt.Errorf("loaded image %s inspects as %s", want, ins.ID)
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
