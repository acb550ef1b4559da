package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// entry is one file of an artifact: src on disk, dst inside the artifact.
type entry struct {
	src, dst string
	mode     fs.FileMode
	// config marks a file the operator edits (a .deb conffile, kept on
	// upgrade).
	config bool
}

// Where the package puts things. The unit and the start-worker config
// template come from deploy/systemd/ as they are.
const (
	debBin = "/usr/bin/dwshim"
	// debBinLink is where deploy/systemd's worker-runner config points
	// worker.path (as generic-worker images keep it in /usr/local/bin).
	debBinLink = "/usr/local/bin/dwshim"
	debUnitDir = "/lib/systemd/system"
	debConfDir = "/etc/dwshim"
	debDocDir  = "/usr/share/doc/dwshim"
)

// docs ship in both artifacts.
var docs = []string{"README.md", "docs/worker.md", "docs/deploy.md"}

// layout is what goes into the tarball (paths relative to its top
// directory) and into the .deb (absolute paths).
type layout struct {
	tarball []entry
	deb     []entry
}

func packageLayout(root, bin string) (layout, error) {
	var l layout
	l.tarball = append(l.tarball, entry{src: bin, dst: "bin/dwshim", mode: 0o755})
	l.deb = append(l.deb, entry{src: bin, dst: debBin, mode: 0o755})
	for _, d := range docs {
		src := filepath.Join(root, d)
		if _, err := os.Stat(src); err != nil {
			return l, fmt.Errorf("doc %s: %w", d, err)
		}
		l.tarball = append(l.tarball, entry{src: src, dst: d, mode: 0o644})
		l.deb = append(l.deb, entry{src: src, dst: debDocDir + "/" + filepath.Base(d), mode: 0o644})
	}
	lic := filepath.Join(root, "LICENSE")
	l.tarball = append(l.tarball, entry{src: lic, dst: "LICENSE", mode: 0o644})
	l.deb = append(l.deb, entry{src: lic, dst: debDocDir + "/copyright", mode: 0o644})

	deploy, err := walkFiles(filepath.Join(root, "deploy"))
	if err != nil {
		return l, err
	}
	var units, configs int
	for _, rel := range deploy {
		src := filepath.Join(root, "deploy", rel)
		fi, err := os.Stat(src)
		if err != nil {
			return l, err
		}
		mode := fs.FileMode(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		l.tarball = append(l.tarball, entry{src: src, dst: "deploy/" + rel, mode: mode})
		dir, name := filepath.Split(rel)
		if dir != "systemd/" {
			continue
		}
		switch filepath.Ext(name) {
		case ".service":
			units++
			l.deb = append(l.deb, entry{src: src, dst: debUnitDir + "/" + name, mode: 0o644})
		case ".yml", ".yaml", ".json":
			configs++
			l.deb = append(l.deb, entry{src: src, dst: debConfDir + "/" + name, mode: 0o644, config: true})
		default:
			l.deb = append(l.deb, entry{src: src, dst: debDocDir + "/systemd/" + name, mode: 0o644})
		}
	}
	if units == 0 || configs == 0 {
		return l, fmt.Errorf("deploy/systemd/ must hold the systemd unit (*.service) and the start-worker config template (*.yml); found %d units, %d configs", units, configs)
	}
	slices.SortFunc(l.tarball, func(a, b entry) int { return strings.Compare(a.dst, b.dst) })
	slices.SortFunc(l.deb, func(a, b entry) int { return strings.Compare(a.dst, b.dst) })
	return l, nil
}

// walkFiles lists the regular files under dir, relative and sorted.
func walkFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deploy/: %w", err)
	}
	slices.Sort(out)
	return out, nil
}
