package taskfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Extensions Walk picks up.
var walkExt = map[string]bool{".json": true, ".jsonl": true, ".yml": true, ".yaml": true}

// Walk returns the *.json, *.jsonl, *.yml and *.yaml files under dir, in
// sorted order, skipping hidden files and directories (".git") and what is
// not a regular file (a FIFO named x.json would block the reader forever).
func Walk(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") && d.Name() != ".taskcluster.yml" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && walkExt[strings.ToLower(filepath.Ext(p))] && regular(p, d) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// regular reports whether the walked entry is a regular file, or a symlink
// to one: FIFOs, sockets and devices would block or never end.
func regular(p string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// OpenFile opens the file at name ("-" reads stdin) and returns its
// Reader; Close the Reader to close the file.
func OpenFile(name string, stdin io.Reader) (*Reader, error) {
	if name == "-" {
		return Open("-", stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open task file: %w", err)
	}
	r, err := Open(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}
