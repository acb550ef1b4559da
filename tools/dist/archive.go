package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// writeTarball writes entries under top/ with fixed owners and times, and
// a gzip header without name or time, so the bytes depend only on content.
func writeTarball(dst, top string, l layout, mtime time.Time) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	gz, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	addDir := func(d string) error {
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX, Uname: "root", Gname: "root"})
	}
	err = func() error {
		for _, e := range l.tarball {
			name := path.Join(top, e.dst)
			var missing []string // parents not yet written, innermost first
			for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
				missing = append(missing, d)
			}
			for i := len(missing) - 1; i >= 0; i-- {
				if err := addDir(missing[i]); err != nil {
					return err
				}
			}
			if err := addFile(tw, e, name, mtime); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	return nil
}

func addFile(tw *tar.Writer, e entry, name string, mtime time.Time) error {
	r, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(e.mode), Size: fi.Size(), ModTime: mtime,
		Format: tar.FormatPAX, Uname: "root", Gname: "root"}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, r)
	return err
}

// writeDeb builds the Debian package with nfpm.
func writeDeb(dst string, l layout, src source) error {
	var contents files.Contents
	for _, e := range l.deb {
		c := &files.Content{Source: e.src, Destination: e.dst,
			FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: e.mode, MTime: src.time}}
		if e.config {
			c.Type = files.TypeConfigNoReplace
		}
		contents = append(contents, c)
	}
	contents = append(contents, &files.Content{Source: debBin, Destination: debBinLink, Type: files.TypeSymlink,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", MTime: src.time}})
	for _, d := range []string{"/var/lib/dwshim", "/etc/dwshim"} {
		contents = append(contents, &files.Content{Destination: d, Type: files.TypeDir,
			FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o755, MTime: src.time}})
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name: "dwshim", Arch: "amd64", Platform: "linux",
		Version: src.version, VersionSchema: "none",
		Section: "admin", Priority: "optional",
		Maintainer:  "dwshim developers <dwshim@invalid>",
		Description: "Taskcluster worker running docker-worker tasks in place of generic-worker with d2g.\nStarted by worker-runner (start-worker) from the systemd unit dwshim.service.",
		Homepage:    "https://github.com/dwshim/dwshim",
		License:     "MPL-2.0",
		MTime:       src.time,
		Overridables: nfpm.Overridables{
			Contents: contents,
			// The unit Requires=docker.service.
			Depends: []string{"docker.io | docker-ce"},
			Umask:   0o022,
		},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return fmt.Errorf("deb: %w", err)
	}
	pkgr, err := nfpm.Get("deb")
	if err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	err = pkgr.Package(info, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("deb: %w", err)
	}
	return nil
}
