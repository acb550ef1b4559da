package docker

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// An image artifact is untrusted input: its tarball is written by the task
// that produced it. docker load applies the RepoTags of manifest.json (and
// the names of a legacy "repositories" file or of an OCI index.json) to
// the whole host, so an artifact could otherwise replace any named image
// or another artifact's tag. rewriteArchive therefore passes the archive
// to the daemon with every name removed (docker-worker rewrote the names
// to its own instead), and works out from the bytes that pass by which
// image the daemon must report: the sha256 of the config file the
// manifest names, which is how the daemon computes an image ID. The
// engine then tags that ID itself.

// maxMetaBytes bounds manifest.json, index.json and the files hashed as
// config candidates; maxHashed bounds how many names are remembered.
const (
	maxMetaBytes = 16 << 20
	maxHashed    = 1 << 16
)

// Names the daemon would apply from an OCI index.json.
var indexNameAnnotations = []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"}

// archiveScan is what rewriteArchive learns on the way.
type archiveScan struct {
	config string            // manifest.json's Config, cleaned
	sums   map[string]string // entry name → sha256 hex (small regular files)
	links  map[string]string // entry name → target name (symlinks, hard links)
	seen   bool              // manifest.json was present
}

// rewriteArchive copies the docker-archive tar src to dst without any
// image names and returns the ID ("sha256:<hex>") of the one image it
// holds, computed from the config's content (never from a file name).
// It reads src to the end of the tar, holding at most one metadata file
// in memory.
func rewriteArchive(dst io.Writer, src io.Reader) (string, error) {
	tr := tar.NewReader(src)
	tw := tar.NewWriter(dst)
	s := &archiveScan{sums: map[string]string{}, links: map[string]string{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read image tarball: %w", err)
		}
		name := cleanEntry(h.Name)
		switch {
		case name == "repositories":
			continue // legacy names: dropped
		case (name == "manifest.json" || name == "index.json") && h.Typeflag == tar.TypeReg:
			body, err := readMeta(tr, h)
			if err != nil {
				return "", err
			}
			if name == "manifest.json" {
				body, err = s.untagManifest(body)
			} else {
				body, err = untagIndex(body)
			}
			if err != nil {
				return "", err
			}
			h.Size = int64(len(body))
			if err := writeEntry(tw, h, bytes.NewReader(body)); err != nil {
				return "", err
			}
			continue
		case name == "manifest.json" || name == "index.json":
			return "", fmt.Errorf("image tarball: %s is not a regular file", name)
		}
		switch h.Typeflag {
		case tar.TypeReg:
			if h.Size <= maxMetaBytes && len(s.sums) < maxHashed {
				hs := sha256.New()
				if err := writeEntry(tw, h, io.TeeReader(tr, hs)); err != nil {
					return "", err
				}
				s.sums[name] = hex.EncodeToString(hs.Sum(nil))
				delete(s.links, name)
				continue
			}
		case tar.TypeSymlink:
			if len(s.links) < maxHashed {
				target := h.Linkname
				if !strings.HasPrefix(target, "/") {
					target = path.Join(path.Dir(name), target)
				}
				s.links[name] = cleanEntry(target)
				delete(s.sums, name)
			}
		case tar.TypeLink:
			if len(s.links) < maxHashed {
				s.links[name] = cleanEntry(h.Linkname)
				delete(s.sums, name)
			}
		}
		if err := writeEntry(tw, h, tr); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("write image tarball: %w", err)
	}
	return s.imageID()
}

// cleanEntry is the path an entry is extracted to, relative to the root.
func cleanEntry(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

func readMeta(tr io.Reader, h *tar.Header) ([]byte, error) {
	if h.Size > maxMetaBytes {
		return nil, fmt.Errorf("image tarball: %s is %d bytes, over the %d-byte limit", h.Name, h.Size, maxMetaBytes)
	}
	b, err := io.ReadAll(io.LimitReader(tr, maxMetaBytes))
	if err != nil {
		return nil, fmt.Errorf("read image tarball %s: %w", h.Name, err)
	}
	return b, nil
}

func writeEntry(tw *tar.Writer, h *tar.Header, body io.Reader) error {
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("copy image tarball entry %q: %w", h.Name, err)
	}
	if h.Typeflag == tar.TypeReg {
		if _, err := io.Copy(tw, body); err != nil {
			return fmt.Errorf("copy image tarball entry %q: %w", h.Name, err)
		}
	}
	return nil
}

// untagManifest removes RepoTags from a docker-archive manifest.json and
// remembers its config. An archive must hold exactly one image, as
// docker-worker required: which one to run would be a guess.
func (s *archiveScan) untagManifest(body []byte) ([]byte, error) {
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("image tarball manifest.json: %w", err)
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("image tarball manifest.json lists %d images; an image artifact must hold exactly one", len(entries))
	}
	var config string
	if err := json.Unmarshal(entries[0]["Config"], &config); err != nil || config == "" {
		return nil, errors.New("image tarball manifest.json: the image has no Config file name")
	}
	delete(entries[0], "RepoTags")
	s.config, s.seen = cleanEntry(config), true
	return json.Marshal(entries)
}

// untagIndex removes the image-name annotations from an OCI index.json.
func untagIndex(body []byte) ([]byte, error) {
	var index map[string]json.RawMessage
	if err := json.Unmarshal(body, &index); err != nil {
		return nil, fmt.Errorf("image tarball index.json: %w", err)
	}
	var manifests []map[string]json.RawMessage
	if raw, ok := index["manifests"]; ok {
		if err := json.Unmarshal(raw, &manifests); err != nil {
			return nil, fmt.Errorf("image tarball index.json manifests: %w", err)
		}
	}
	for _, m := range manifests {
		var ann map[string]string
		if raw, ok := m["annotations"]; ok {
			if err := json.Unmarshal(raw, &ann); err != nil {
				return nil, fmt.Errorf("image tarball index.json annotations: %w", err)
			}
		}
		for _, k := range indexNameAnnotations {
			delete(ann, k)
		}
		if ann != nil {
			raw, _ := json.Marshal(ann)
			m["annotations"] = raw
		}
	}
	if manifests != nil {
		raw, _ := json.Marshal(manifests)
		index["manifests"] = raw
	}
	return json.Marshal(index)
}

// imageID is the sha256 of the config the manifest names, following links.
func (s *archiveScan) imageID() (string, error) {
	if !s.seen {
		return "", errors.New("image tarball has no manifest.json (write it with `docker save`; the pre-1.10 format is not supported)")
	}
	name := s.config
	for range 16 {
		if sum, ok := s.sums[name]; ok {
			return "sha256:" + sum, nil
		}
		target, ok := s.links[name]
		if !ok {
			break
		}
		name = target
	}
	return "", fmt.Errorf("image tarball manifest.json names config %q, which the tarball does not hold as a file of at most %d bytes", s.config, maxMetaBytes)
}
