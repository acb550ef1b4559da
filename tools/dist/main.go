// Command dist builds dwshim's release artifacts, reproducibly: the same
// commit gives the same bytes. Run by `make dist`:
//
//	go -C tools/dist run . -root "$PWD" -out "$PWD/dist"
//
// It writes, into -out:
//
//   - dwshim: a static linux/amd64 binary (CGO off, -trimpath, no build id),
//     with the version and commit stamped into internal/buildinfo;
//   - dwshim_V_linux_amd64.tar.gz: the binary, deploy/ and the docs;
//   - dwshim_V_amd64.deb: the binary, the systemd unit and start-worker config
//     template from deploy/systemd/, and the docs (built with nfpm);
//   - SHA256SUMS.
//
// Every timestamp is the commit's time (SOURCE_DATE_EPOCH when set), every
// owner root, every listing sorted. The version is -version when given, else
// BASE~gitYYYYMMDDhhmmss.SHORTCOMMIT (Debian sorts it by commit time).
//
// This is its own module so that nfpm stays out of dwshim's go.mod.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	var o options
	flag.StringVar(&o.root, "root", "../..", "the dwshim source tree")
	flag.StringVar(&o.out, "out", "dist", "where to write the artifacts")
	flag.StringVar(&o.version, "version", "", "release version (default: -base~gitTIME.COMMIT)")
	flag.StringVar(&o.base, "base", "0.1.0", "version base for untagged builds")
	flag.StringVar(&o.goCmd, "go", "go", "the go command")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

type options struct {
	root, out, version, base, goCmd string
}

func run(o options) error {
	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(o.out)
	if err != nil {
		return err
	}
	src, err := readSource(root, o.base, o.version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(out, "dwshim")
	if err := buildBinary(o.goCmd, root, bin, src); err != nil {
		return err
	}
	layout, err := packageLayout(root, bin)
	if err != nil {
		return err
	}
	tarball := filepath.Join(out, fmt.Sprintf("dwshim_%s_linux_amd64.tar.gz", src.version))
	if err := writeTarball(tarball, "dwshim_"+src.version, layout, src.time); err != nil {
		return err
	}
	deb := filepath.Join(out, fmt.Sprintf("dwshim_%s_amd64.deb", src.version))
	if err := writeDeb(deb, layout, src); err != nil {
		return err
	}
	if err := writeSums(filepath.Join(out, "SHA256SUMS"), bin, tarball, deb); err != nil {
		return err
	}
	fmt.Printf("dist: dwshim %s (commit %s)\n  %s\n  %s\n  %s\n", src.version, src.commit, bin, tarball, deb)
	return nil
}
