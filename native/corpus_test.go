package native

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/schemas/validator"
	"github.com/dwshim/dwshim/translate"
)

// TestBuildValidOnCorpus: the native payload of every translatable task
// of the golden cases and the real corpus validates against
// generic-worker's payload schema: what that schema rejects the decoder
// refuses first, so such a task never gets here.
func TestBuildValidOnCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "translate", "*", "in.json"))
	shared := testenv.Shared(t, false)
	for _, dir := range []string{"payloads", "task-definitions"} {
		more, _ := filepath.Glob(filepath.Join(shared, "corpus", "real", dir, "*.json"))
		files = append(files, more...)
	}
	cfg := translate.OfflineConfig()
	cfg.AllowGPUs, cfg.NvidiaDevices = true, []string{"nvidia0"}
	built := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var probe struct {
			Payload json.RawMessage `json:"payload"`
		}
		_ = json.Unmarshal(raw, &probe)
		var p *translate.DockerWorkerPayload
		var tr *translate.Result
		queue := ""
		if probe.Payload != nil {
			r, err := translate.TranslateTask(raw, cfg, translate.TaskOptions{})
			if err != nil {
				continue // a task translate refuses never gets here
			}
			p, tr, queue = r.Task.Payload, &r.Result, r.TaskQueueID
		} else {
			if p, err = translate.DecodePayload(raw); err != nil {
				continue
			}
			if tr, err = translate.TranslatePayload(p, cfg); err != nil {
				continue
			}
		}
		pl, _, err := BuildTask(tr.Plan, queue)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		built++
		var doc any
		if err := json.Unmarshal(pl.AppendJSONNoEscape(nil), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		probs := validator.ValidateGenericWorkerPayload(doc)
		if len(probs) > 0 {
			t.Errorf("%s: the native payload is not a valid generic-worker payload: %v", f, probs)
		}
	}
	if built < 40 {
		t.Fatalf("built only %d native payloads from %d files", built, len(files))
	}
}
