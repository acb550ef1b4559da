package runner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/plan"
)

func TestArtifacts(t *testing.T) {
	task := newTestTask()
	task.Plan.Artifacts = []plan.Artifact{
		{Name: "public/dir", Path: "/out", Kind: plan.ArtifactDirectory},
		{Name: "public/file.txt", Path: "/out/a.txt", Kind: plan.ArtifactFile},
		{Name: "public/isdir", Path: "/out", Kind: plan.ArtifactFile},
		{Name: "public/isfile", Path: "/out/a.txt", Kind: plan.ArtifactDirectory},
		{Name: "public/linked.txt", Path: "/link.txt", Kind: plan.ArtifactFile},
		{Name: "public/missing", Path: "/nope/x", Kind: plan.ArtifactFile},
		{Name: "public/vol", Path: "/vol", Kind: plan.ArtifactVolume},
	}
	e := &memEngine{run: exitWith(0, ""), fs: map[string]memFile{
		"/out":          {dir: true},
		"/out/a.txt":    {data: "A"},
		"/out/sub":      {dir: true},
		"/out/sub/b":    {data: "BB"},
		"/out/sub/hard": {hard: "out/sub/b"},
		"/out/etc":      {link: "/etc"},
		"/out/up":       {link: "../../../../tmp"},
		"/out/../evil":  {data: "evil"},
		"/link.txt":     {link: "out/a.txt"},
		"/vol":          {dir: true},
		"/vol/v":        {data: "V"},
	}}
	parent := t.TempDir()
	dir := filepath.Join(parent, "artifacts")
	sink, err := NewDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	res, log, err := run(t, e, task, context.Background(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resolution != Completed {
		t.Errorf("got %+v", res)
	}
	got := map[string]string{}
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t.Errorf("symbolic link written: %s", p)
		}
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(parent, p)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	want := map[string]string{
		"artifacts/public/dir/a.txt":    "A",
		"artifacts/public/dir/sub/b":    "BB",
		"artifacts/public/dir/sub/hard": "BB",
		"artifacts/public/file.txt":     "A",
		"artifacts/public/linked.txt":   "A",
		"artifacts/public/vol/v":        "V",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	var errs []string
	for _, r := range sink.Errors() {
		errs = append(errs, r.Name+" "+r.Reason+" "+r.Message)
	}
	sort.Strings(errs)
	wantErrs := []string{
		`public/isdir invalid-resource-on-worker Expected artifact "public/isdir" at "/out" in the container to be a file but was a directory`,
		`public/isfile invalid-resource-on-worker Expected artifact "public/isfile" at "/out/a.txt" in the container to be a directory but was a file`,
		`public/missing file-missing-on-worker artifact "public/missing" not found at "/nope/x" in the container`,
	}
	if d := cmp.Diff(wantErrs, errs); d != "" {
		t.Errorf("error artifacts (-want +got):\n%s", d)
	}
	for _, s := range []string{
		`Skipping symbolic link "/out/etc" in artifact "public/dir"`,
		`Artifact "public/missing" not found at "/nope/x"`,
		"\n\n[taskcluster:error] Error uploading \"public/isdir\".",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q:\n%s", s, log)
		}
	}
	if len(res.Artifacts) != 9 {
		t.Errorf("records: %+v", res.Artifacts)
	}
}

func TestArtifactsDisabled(t *testing.T) {
	task := newTestTask()
	task.Plan.Features.UploadArtifacts = false
	task.Plan.Artifacts = []plan.Artifact{{Name: "public/a", Path: "/a", Kind: plan.ArtifactFile}}
	e := &memEngine{run: exitWith(0, "")}
	s := &recordSink{}
	run(t, e, task, context.Background(), s)
	if e.called("copyout") != 0 || len(s.errors) != 0 {
		t.Errorf("collected artifacts with features.artifacts off: %v %v", e.calls, s.errors)
	}
}

func TestArtifactEngineError(t *testing.T) {
	task := newTestTask()
	task.Plan.Artifacts = []plan.Artifact{{Name: "public/a", Path: "/a", Kind: plan.ArtifactFile}}
	boom := errors.New("daemon went away")
	e := &memEngine{run: exitWith(0, ""), copyErr: boom}
	res, _, err := run(t, e, task, context.Background(), &recordSink{})
	if !errors.Is(err, boom) || res.Resolution != Exception || res.Reason != ReasonInternalError {
		t.Errorf("got %+v, %v", res, err)
	}
}

func TestDirSinkRefusesEscapes(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a")
	s, err := NewDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	outside := filepath.Join(parent, "outside")
	os.Mkdir(outside, 0o755)
	// A link planted in the folder (say by an earlier run) is never followed.
	os.Symlink(outside, filepath.Join(dir, "link"))
	os.Symlink(filepath.Join(outside, "f"), filepath.Join(dir, "f"))
	for _, name := range []string{"../x", "/abs", "a/../../x", "./a", "link/x", ""} {
		if err := s.PutFile(context.Background(), name, strings.NewReader("x"), 1, t0); err == nil {
			t.Errorf("PutFile(%q) succeeded", name)
		}
	}
	if err := s.PutFile(context.Background(), "f", strings.NewReader("x"), 1, t0); err != nil {
		t.Errorf("PutFile(f): %v", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote outside the folder: %v", ents)
	}
}
