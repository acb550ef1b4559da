package runner

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/dwshim/dwshim/plan"
)

// ArtifactRecord is one artifact the run produced: a file written to the
// sink, or an error artifact.
type ArtifactRecord struct {
	Name string `json:"name"`
	// Kind is "file" or "error".
	Kind string `json:"kind"`
	// Path is the path in the container it was read from.
	Path string `json:"path,omitempty"`
	Size int64  `json:"size,omitempty"`
	// Reason and Message describe an error artifact.
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// maxLinkHops bounds how many symbolic links an artifact's own path may
// go through inside the container.
const maxLinkHops = 8

// collector reads the artifacts of one run out of the container.
type collector struct {
	engine  Engine
	task    *Task
	sink    ArtifactSink
	log     *taskLog
	expires time.Time
	records []ArtifactRecord
}

// collect reads every artifact in plan order. The error joins the
// infrastructure failures (engine, tar stream, sink); missing paths and
// type mismatches are error artifacts, not errors.
func (c *collector) collect(ctx context.Context, arts []plan.Artifact) error {
	var errs []error
	for _, a := range arts {
		exp := a.Expires
		if exp.IsZero() {
			exp = c.expires
		}
		if err := c.one(ctx, a, exp); err != nil {
			c.log.Errorf("Error uploading artifact %q from %q: %v", a.Name, a.Path, err)
			errs = append(errs, fmt.Errorf("artifact %q: %w", a.Name, err))
		}
	}
	return errors.Join(errs...)
}

// open returns the tar stream of p and its first entry, following the
// entry while it is a symbolic link. Links resolve inside the container
// (the engine reads the container's file system), never on the host.
func (c *collector) open(ctx context.Context, p string) (io.ReadCloser, *tar.Reader, *tar.Header, error) {
	for hop := 0; ; hop++ {
		rc, err := c.engine.CopyOut(ctx, c.task, p)
		if err != nil {
			return nil, nil, nil, err
		}
		tr := tar.NewReader(rc)
		hdr, err := tr.Next()
		if err == io.EOF {
			rc.Close()
			return nil, nil, nil, fmt.Errorf("empty archive for %q: %w", p, ErrPathNotFound)
		}
		if err != nil {
			rc.Close()
			return nil, nil, nil, fmt.Errorf("read archive of %q: %w", p, err)
		}
		if hdr.Typeflag != tar.TypeSymlink {
			return rc, tr, hdr, nil
		}
		rc.Close()
		if hop >= maxLinkHops {
			return nil, nil, nil, fmt.Errorf("%q: too many levels of symbolic links: %w", p, ErrPathNotFound)
		}
		target := hdr.Linkname
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = path.Clean(target)
	}
}

func (c *collector) one(ctx context.Context, a plan.Artifact, exp time.Time) error {
	rc, tr, hdr, err := c.open(ctx, a.Path)
	if errors.Is(err, ErrPathNotFound) {
		c.log.Infof("Artifact %q not found at %q", a.Name, a.Path)
		return c.putError(ctx, a, ReasonFileMissing,
			fmt.Sprintf("artifact %q not found at %q in the container", a.Name, a.Path), exp)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	wantDir := a.Kind != plan.ArtifactFile
	isDir := hdr.Typeflag == tar.TypeDir
	if wantDir != isDir || (!isDir && hdr.Typeflag != tar.TypeReg) {
		msg := fmt.Sprintf("Expected artifact %q at %q in the container to be a %s but was a %s",
			a.Name, a.Path, kindWord(wantDir), typeWord(hdr.Typeflag))
		c.log.Errorf("Error uploading %q. %s", a.Name, msg)
		return c.putError(ctx, a, ReasonInvalidResource, msg, exp)
	}
	if !isDir {
		return c.putFile(ctx, a.Name, a.Path, tr, hdr.Size, exp)
	}
	return c.directory(ctx, a, strings.TrimSuffix(hdr.Name, "/"), tr, exp)
}

// directory writes each regular file under root as "<name>/<rel>". Hard
// links are read again by their first name. Symbolic links, devices and
// fifos are skipped, never written: a link could point anywhere, and the
// sink must never follow what the container chose.
func (c *collector) directory(ctx context.Context, a plan.Artifact, root string, tr *tar.Reader, exp time.Time) error {
	files, skipped := 0, 0
	var bytes int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read archive of %q: %w", a.Path, err)
		}
		rel, ok := relEntry(root, hdr.Name)
		if !ok {
			skipped++
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
			if err := c.putFile(ctx, a.Name+"/"+rel, path.Join(a.Path, rel), tr, hdr.Size, exp); err != nil {
				return err
			}
			files++
			bytes += hdr.Size
		case tar.TypeLink:
			// A second name of a file already in the archive: read the
			// file again by its first name (inside the container).
			n, err := c.hardLink(ctx, a, root, rel, hdr.Linkname, exp)
			if err != nil {
				return err
			}
			files++
			bytes += n
		default:
			c.log.Infof("Skipping %s %q in artifact %q (only regular files are collected)",
				typeWord(hdr.Typeflag), path.Join(a.Path, rel), a.Name)
		}
	}
	if skipped > 0 {
		c.log.Infof("Skipped %d entries of artifact %q with unsafe names", skipped, a.Name)
	}
	c.log.Infof("Collected artifact %q from %q: %d files, %d bytes", a.Name, a.Path, files, bytes)
	return nil
}

// hardLink copies the file an archive hard link points to as name rel.
func (c *collector) hardLink(ctx context.Context, a plan.Artifact, root, rel, link string, exp time.Time) (int64, error) {
	target, ok := relEntry(root, link)
	if !ok {
		c.log.Infof("Skipping hard link %q in artifact %q: target %q is outside it", path.Join(a.Path, rel), a.Name, link)
		return 0, nil
	}
	from := path.Join(a.Path, target)
	rc, err := c.engine.CopyOut(ctx, c.task, from)
	if err != nil {
		return 0, fmt.Errorf("read %q: %w", from, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		return 0, fmt.Errorf("read archive of %q: %w", from, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		c.log.Infof("Skipping hard link %q in artifact %q: target is a %s", path.Join(a.Path, rel), a.Name, typeWord(hdr.Typeflag))
		return 0, nil
	}
	return hdr.Size, c.putFile(ctx, a.Name+"/"+rel, path.Join(a.Path, rel), tr, hdr.Size, exp)
}

// relEntry strips the archive's top folder from an entry name and
// rejects anything that is not a clean relative path below it.
func relEntry(root, name string) (string, bool) {
	name = strings.TrimSuffix(name, "/")
	if name == root {
		return "", false
	}
	rel, ok := strings.CutPrefix(name, root+"/")
	if !ok || checkName(rel) != nil {
		return "", false
	}
	return rel, true
}

func (c *collector) putFile(ctx context.Context, name, from string, r io.Reader, size int64, exp time.Time) error {
	if err := c.sink.PutFile(ctx, name, r, size, exp); err != nil {
		return err
	}
	c.records = append(c.records, ArtifactRecord{Name: name, Kind: "file", Path: from, Size: size, Expires: exp})
	return nil
}

func (c *collector) putError(ctx context.Context, a plan.Artifact, reason, msg string, exp time.Time) error {
	if err := c.sink.PutError(ctx, a.Name, reason, msg, exp); err != nil {
		return fmt.Errorf("create error artifact: %w", err)
	}
	c.records = append(c.records, ArtifactRecord{Name: a.Name, Kind: "error", Path: a.Path, Reason: reason, Message: msg, Expires: exp})
	return nil
}

func kindWord(dir bool) string {
	if dir {
		return "directory"
	}
	return "file"
}

func typeWord(t byte) string {
	switch t {
	case tar.TypeDir:
		return "directory"
	case tar.TypeReg:
		return "file"
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("tar entry of type %q", t)
}
