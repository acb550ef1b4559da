package testimages

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// BaseImage is the shared test base image loaded by scripts/test-env.sh.
const BaseImage = "dwshim-test/busybox:latest"

// RegistryImage is BaseImage as pushed to the local test registry.
const RegistryImage = "127.0.0.1:5000/dwshim-test/busybox:latest"

// Applets get a symlink /bin/<applet> → busybox.
var Applets = []string{
	"awk", "cat", "chmod", "cp", "cut", "date", "dd", "echo", "env", "false", "find", "grep",
	"head", "id", "kill", "ln", "ls", "mkdir", "mount", "mv", "printf", "ps", "pwd", "rm",
	"sed", "seq", "sh", "sleep", "sort", "stat", "tail", "tar", "tee", "test", "touch", "tr",
	"true", "uname", "wc", "yes",
}

// Options says what to build.
type Options struct {
	// Tags are the RepoTags of the image (none: an untagged image).
	Tags []string
	// Compression: "none" (or ""), "gzip", "zstd", "lz4", "xz" or "bzip2"
	// (the last two through the xz and bzip2 commands).
	Compression string
	// Labels go into the image config (tests label their images
	// dwshim.test=<name>, which also makes each image ID distinct).
	Labels map[string]string
	// Files are extra regular files, path (no leading "/") → content.
	Files map[string]string
	// FillerBytes adds /filler of this many pseudo-random, incompressible
	// bytes (for load benchmarks), generated from FillerSeed.
	FillerBytes int64
	FillerSeed  uint64
	// BusyboxPath is the static busybox to copy. Default /bin/busybox.
	BusyboxPath string
	// ConfigName overrides the config file's name (default
	// "<sha256 of the config>.json"): crafted tarballs whose manifest
	// names another image's ID.
	ConfigName string
	// Repositories adds a legacy "repositories" file naming the image
	// (repository → tag → ID), as a pre-1.10 docker save wrote.
	Repositories map[string]map[string]string
}

// epoch is the fixed mtime of every entry, so builds are reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Build writes the image tarball to w.
func Build(w io.Writer, o Options) error {
	if o.BusyboxPath == "" {
		o.BusyboxPath = "/bin/busybox"
	}
	// Pass 1: digest and size of the layer.
	h := sha256.New()
	n, err := countingWrite(h, func(w io.Writer) error { return writeLayer(w, o) })
	if err != nil {
		return err
	}
	layerHex := hex.EncodeToString(h.Sum(nil))
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch,
		"config": map[string]any{
			"Cmd":    []string{"sh"},
			"Env":    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Labels": o.Labels,
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerHex}},
		"history": []map[string]any{{"created": epoch, "created_by": "dwshim testimages"}},
	})
	if err != nil {
		return fmt.Errorf("image config: %w", err)
	}
	cfgSum := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(cfgSum[:]) + ".json"
	if o.ConfigName != "" {
		cfgName = o.ConfigName
	}
	tags := o.Tags
	if tags == nil {
		tags = []string{}
	}
	manifest, err := json.Marshal([]map[string]any{{
		"Config": cfgName, "RepoTags": tags, "Layers": []string{layerHex + "/layer.tar"},
	}})
	if err != nil {
		return fmt.Errorf("image manifest: %w", err)
	}
	cw, closeC, err := compressor(w, o.Compression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(cw)
	if err := tw.WriteHeader(dirHeader(layerHex+"/", 0o755)); err != nil {
		return err
	}
	if err := tw.WriteHeader(fileHeader(layerHex+"/layer.tar", n, 0o644)); err != nil {
		return err
	}
	if err := writeLayer(tw, o); err != nil { // pass 2
		return err
	}
	files := []struct {
		name string
		data []byte
	}{{cfgName, cfg}, {"manifest.json", manifest}}
	if o.Repositories != nil {
		repos, err := json.Marshal(o.Repositories)
		if err != nil {
			return fmt.Errorf("image repositories: %w", err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{"repositories", repos})
	}
	for _, f := range files {
		if err := tw.WriteHeader(fileHeader(f.name, int64(len(f.data)), 0o644)); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("image tar: %w", err)
	}
	return closeC()
}

// BuildFile builds the image into the file at path.
func BuildFile(path string, o Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Build(f, o); err != nil {
		f.Close()
		return fmt.Errorf("build %s: %w", path, err)
	}
	return f.Close()
}

func compressor(w io.Writer, c string) (io.Writer, func() error, error) {
	switch c {
	case "", "none":
		return w, func() error { return nil }, nil
	case "gzip":
		zw := gzip.NewWriter(w)
		return zw, zw.Close, nil
	case "zstd":
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return zw, zw.Close, nil
	case "lz4":
		zw := lz4.NewWriter(w)
		return zw, zw.Close, nil
	case "xz", "bzip2":
		// The tools users compress with (Debian's xz-utils and bzip2).
		cmd := exec.Command(c, "-c", "-1")
		cmd.Stdout = w
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, fmt.Errorf("%s (install xz-utils / bzip2): %w", c, err)
		}
		return in, func() error {
			in.Close()
			return cmd.Wait()
		}, nil
	}
	return nil, nil, fmt.Errorf("unknown compression %q (want none, gzip, zstd, lz4, xz or bzip2)", c)
}

func countingWrite(w io.Writer, f func(io.Writer) error) (int64, error) {
	c := &counter{w: w}
	err := f(c)
	return c.n, err
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeLayer writes the root filesystem tar.
func writeLayer(w io.Writer, o Options) error {
	tw := tar.NewWriter(w)
	for _, d := range []string{"bin/", "tmp/", "etc/", "work/"} {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(dirHeader(d, mode)); err != nil {
			return err
		}
	}
	bb, err := os.Open(o.BusyboxPath)
	if err != nil {
		return fmt.Errorf("open busybox (install busybox-static): %w", err)
	}
	defer bb.Close()
	st, err := bb.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(fileHeader("bin/busybox", st.Size(), 0o755)); err != nil {
		return err
	}
	if _, err := io.Copy(tw, bb); err != nil {
		return fmt.Errorf("copy busybox: %w", err)
	}
	for _, a := range Applets {
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	files := map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n"}
	for k, v := range o.Files {
		files[k] = v
	}
	for _, name := range sortedKeys(files) {
		if err := tw.WriteHeader(fileHeader(name, int64(len(files[name])), 0o644)); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, files[name]); err != nil {
			return err
		}
	}
	if o.FillerBytes > 0 {
		if err := tw.WriteHeader(fileHeader("filler", o.FillerBytes, 0o644)); err != nil {
			return err
		}
		src := rand.NewChaCha8(seed(o.FillerSeed))
		if _, err := io.CopyN(tw, src, o.FillerBytes); err != nil {
			return fmt.Errorf("filler: %w", err)
		}
	}
	return tw.Close()
}

func seed(s uint64) (b [32]byte) {
	for i := range 8 {
		b[i] = byte(s >> (8 * i))
	}
	return b
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func dirHeader(name string, mode int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
}

func fileHeader(name string, size, mode int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
}
