package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/translate/*/want*.json from the current output")

// goldenInfo is what want-info.json holds besides the two targets.
type goldenInfo struct {
	EnvList       string         `json:"envList"`
	ContainerName string         `json:"containerName"`
	CopyArtifacts []CopyArtifact `json:"copyArtifacts"`
	Warnings      []Warning      `json:"warnings"`
	TaskQueueID   string         `json:"taskQueueId,omitempty"`
	Scopes        []string       `json:"scopes,omitempty"`
	// Verdict is what dwshim's Verdict says of a bare payload: the d2g
	// target drops refused capabilities, dwshim refuses the task.
	Verdict []Problem `json:"verdict,omitempty"`
}

// TestGolden runs every case under testdata/translate: in.json (a payload,
// or a task definition when it has a "payload" key) and optional
// config.json (a partial d2gConfig over the defaults) give want.json (the
// d2g payload or converted definition), want-plan.json (the Plan),
// want-info.json (env.list, warnings, scopes…), or want-error.json.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "translate", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runGoldenCase(t, dir) })
	}
}

func runGoldenCase(t *testing.T, dir string) {
	in, err := os.ReadFile(filepath.Join(dir, "in.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfgPartial any
	if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		cfgPartial = decodeAny(t, b)
	}
	cfg := goldenConfig(t, cfgPartial)
	var probe struct {
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(in, &probe)

	outputs := map[string]any{}
	var res *Result
	var info goldenInfo
	if probe.Payload != nil {
		tr, err := TranslateTask(in, cfg, TaskOptions{})
		if err == nil {
			def, derr := tr.Definition()
			if derr != nil {
				t.Fatal(derr)
			}
			outputs["want.json"] = json.RawMessage(def)
			res = &tr.Result
			info.TaskQueueID, info.Scopes = tr.TaskQueueID, tr.Scopes
		} else {
			outputs["want-error.json"] = errorJSON(t, err)
		}
	} else {
		p, err := DecodePayload(in)
		if err == nil {
			if verr := Verdict(p, cfg, nil, ""); verr != nil {
				info.Verdict = verr.(*Error).Problems
			}
			res, err = TranslatePayload(p, cfg)
		}
		if err != nil {
			outputs["want-error.json"] = errorJSON(t, err)
		} else {
			outputs["want.json"] = res.Payload
		}
	}
	if res != nil {
		checkAppendJSON(t, res.Payload)
		outputs["want-plan.json"] = res.Plan
		info.EnvList, info.ContainerName = res.EnvList, res.ContainerName
		info.CopyArtifacts, info.Warnings = res.CopyArtifacts, res.Warnings
		for _, w := range res.Warnings {
			if w.Code == "" {
				t.Errorf("warning without a code: %s", w)
			}
		}
		outputs["want-info.json"] = info
	}
	for _, name := range []string{"want.json", "want-plan.json", "want-info.json", "want-error.json"} {
		path := filepath.Join(dir, name)
		got, ok := outputs[name]
		if *update {
			_ = os.Remove(path)
			if ok {
				writeGolden(t, path, got)
			}
			continue
		}
		wantBytes, err := os.ReadFile(path)
		switch {
		case !ok && err == nil:
			t.Errorf("%s exists but the translation produced no such output", name)
		case ok && err != nil:
			t.Errorf("%s: %v (run go test ./translate -run TestGolden -update)", name, err)
		case ok:
			if d := cmp.Diff(decodeAny(t, wantBytes), decodeAny(t, mustJSON(t, got))); d != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", name, d)
			}
		}
	}
}

func errorJSON(t *testing.T, err error) any {
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error is not a *translate.Error: %v", err)
	}
	return te
}

func writeGolden(t *testing.T, path string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if raw, ok := v.(json.RawMessage); ok {
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		buf.WriteByte('\n')
	} else if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
