package testenv

import (
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPackageHasDocGo: every package of the module (what go list ./...
// lists) has a doc.go holding its package comment ("Package x …", or
// "Command x …" for a main package), and no other file has one.
func TestEveryPackageHasDocGo(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	pkgs := 0
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if dir != root {
			if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return filepath.SkipDir // another module (tools/…)
			}
		}
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files for this platform
		}
		pkgs++
		rel, _ := filepath.Rel(root, dir)
		checkPackageDoc(t, rel, dir, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pkgs < 20 {
		t.Fatalf("found only %d packages under %s", pkgs, root)
	}
}

func checkPackageDoc(t *testing.T, rel, dir string, p *build.Package) {
	t.Helper()
	want := "Package " + p.Name + " "
	if p.Name == "main" {
		want = "Command "
	}
	hasDoc := false
	for _, f := range p.GoFiles {
		af, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		switch {
		case f == "doc.go":
			hasDoc = true
			if af.Doc == nil || !strings.HasPrefix(af.Doc.Text(), want) {
				t.Errorf("%s/doc.go: the package comment must start %q", rel, want)
			}
		case af.Doc != nil:
			t.Errorf("%s/%s has a package comment too: move it into doc.go", rel, f)
		}
	}
	if !hasDoc {
		t.Errorf("%s: no doc.go (the package comment: what the package is for, where it sits in the data flow, its entry points, what it must not do)", rel)
	}
}
