package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/translate"
)

// verdictMutations change a task definition's payload in one way each.
var verdictMutations = map[string]func(p map[string]any){
	"as is":            func(p map[string]any) {},
	"no image":         func(p map[string]any) { delete(p, "image") },
	"no maxRunTime":    func(p map[string]any) { delete(p, "maxRunTime") },
	"dind":             func(p map[string]any) { obj(p, "features")["dind"] = true },
	"env number":       func(p map[string]any) { obj(p, "env")["N"] = 1 },
	"env NUL":          func(p map[string]any) { obj(p, "env")["N"] = "a\x00b" },
	"env name space":   func(p map[string]any) { obj(p, "env")["A B"] = "x" },
	"cache ::":         func(p map[string]any) { obj(p, "cache")["a::b"] = "/c" },
	"artifact ..":      func(p map[string]any) { obj(p, "artifacts")["../x"] = map[string]any{"type": "file", "path": "/x"} },
	"artifact abs":     func(p map[string]any) { obj(p, "artifacts")["/x"] = map[string]any{"type": "file", "path": "/x"} },
	"maxRunTime zero":  func(p map[string]any) { p["maxRunTime"] = 0 },
	"image number":     func(p map[string]any) { p["image"] = 1 },
	"image bad type":   func(p map[string]any) { p["image"] = map[string]any{"type": "oci", "name": "x"} },
	"Image":            func(p map[string]any) { p["Image"] = "ubuntu" },
	"unknown member":   func(p map[string]any) { p["mounts"] = []any{} },
	"command not list": func(p map[string]any) { p["command"] = "ls" },
	// What generic-worker's schema rejects in either target's payload.
	"cache no name": func(p map[string]any) { obj(p, "cache")[""] = "/c" },
	"image path empty": func(p map[string]any) {
		p["image"] = map[string]any{"type": "indexed-image", "namespace": "a.b", "path": ""}
	},
	"namespace empty": func(p map[string]any) {
		p["image"] = map[string]any{"type": "indexed-image", "namespace": "", "path": "i.tar"}
	},
	"namespace too long": func(p map[string]any) {
		p["image"] = map[string]any{"type": "indexed-image", "namespace": strings.Repeat("n", 256), "path": "i.tar"}
	},
	"image path too long": func(p map[string]any) {
		p["image"] = map[string]any{"type": "indexed-image", "namespace": "a", "path": strings.Repeat("p", 1025)}
	},
	"image taskId not slugid": func(p map[string]any) {
		p["image"] = map[string]any{"type": "task-image", "taskId": "IMGTASK", "path": "public/image.tar"}
	},
	"expires past 9999 UTC": func(p map[string]any) {
		obj(p, "artifacts")["x"] = map[string]any{"type": "file", "path": "/x", "expires": "9999-12-31T23:59:59-01:00"}
	},
}

func obj(m map[string]any, k string) map[string]any {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[k] = o
	return o
}

// TestCommandsAgree: lint, convert, local --dry-run and the worker's
// decoding (translate.DecodeTask, which dwshim run calls first) accept or
// reject each corpus task definition and each mutation of it alike, and
// the decoder's problems appear, in the same words, in all three commands'
// output.
func TestCommandsAgree(t *testing.T) {
	shared := testenv.Shared(t, false)
	files, _ := filepath.Glob(filepath.Join(shared, "corpus", "real", "task-definitions", "*.json"))
	rules, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "lint", "rules", "*-good.json"))
	files = append(files, rules...)
	if len(files) < 5 {
		t.Fatalf("corpus missing: %v", files)
	}
	dir := t.TempDir()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, m := range verdictMutations {
			var task map[string]any
			if err := json.Unmarshal(b, &task); err != nil {
				t.Fatal(err)
			}
			p, ok := task["payload"].(map[string]any)
			if !ok {
				continue
			}
			m(p)
			in, _ := json.Marshal(task)
			path := filepath.Join(dir, fmt.Sprintf("t%d.json", n))
			n++
			if err := os.WriteFile(path, in, 0o644); err != nil {
				t.Fatal(err)
			}
			label := filepath.Base(f) + " + " + name
			checkAgree(t, label, path, in)
		}
	}
	t.Logf("%d task definitions", n)
}

func checkAgree(t *testing.T, label, path string, in []byte) {
	t.Helper()
	_, derr := translate.DecodeTask(in)
	var te *translate.Error
	if derr != nil && !errors.As(derr, &te) {
		t.Fatalf("%s: %v", label, derr)
	}
	lcode, lout, _ := convertCLI(t, "", "lint", "--format", "json", path)
	ccode, _, cerr := convertCLI(t, "", "convert", "-t", path)
	dcode, _, derrOut := convertCLI(t, "", "local", "--dry-run", path)
	var doc struct {
		Problems []struct{ Pointer, Message, Severity string }
	}
	if err := json.Unmarshal([]byte(lout), &doc); err != nil {
		t.Fatalf("%s: lint output: %v\n%s", label, err, lout)
	}
	lint := doc.Problems
	lintErr := false
	for _, p := range lint {
		lintErr = lintErr || p.Severity == "error"
	}
	verdicts := map[string]bool{"decode": derr == nil, "lint": lcode == 0 && !lintErr, "convert": ccode == 0, "local --dry-run": dcode == 0}
	if !(verdicts["decode"] == verdicts["lint"] && verdicts["lint"] == verdicts["convert"] && verdicts["convert"] == verdicts["local --dry-run"]) {
		t.Errorf("%s: accepted by %v\nlint: %s\nconvert: %s\nlocal: %s", label, verdicts, lout, cerr, derrOut)
		return
	}
	if te == nil {
		return
	}
	for _, p := range te.Problems {
		found := false
		for _, lp := range lint {
			found = found || lp.Pointer == p.Pointer && lp.Message == p.Message
		}
		if !found || !strings.Contains(cerr, p.String()) || !strings.Contains(derrOut, p.String()) {
			t.Errorf("%s: problem %q not reported alike (lint %v, convert %v, local %v)", label, p.String(), found,
				strings.Contains(cerr, p.String()), strings.Contains(derrOut, p.String()))
		}
	}
}
