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
// sorted order, skipping hidden files and directories (".git").
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
		if !d.IsDir() && walkExt[strings.ToLower(filepath.Ext(p))] {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
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
