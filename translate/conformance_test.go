package translate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// goldenFile is upstream d2g's golden-case format (spec §7.1).
type goldenFile struct {
	TestSuite struct {
		Name         string       `yaml:"name"`
		PayloadTests []goldenCase `yaml:"payloadTests"`
		TaskDefTests []goldenCase `yaml:"taskDefTests"`
	} `yaml:"testSuite"`
}

type goldenCase struct {
	Name        string `yaml:"name"`
	D2GConfig   any    `yaml:"d2gConfig"`
	DWPayload   any    `yaml:"dockerWorkerTaskPayload"`
	GWPayload   any    `yaml:"genericWorkerTaskPayload"`
	DWTaskDef   any    `yaml:"dockerWorkerTaskDefinition"`
	GWTaskDef   any    `yaml:"genericWorkerTaskDefinition"`
	Description string `yaml:"description"`
}

// goldenConfig merges a case's d2gConfig over the defaults, with the test
// harness's fixed container name and fake /dev.
func goldenConfig(t *testing.T, partial any) Config {
	t.Helper()
	cfg := DefaultConfig()
	if partial != nil {
		if err := json.Unmarshal(mustJSON(t, partial), &cfg); err != nil {
			t.Fatalf("d2gConfig: %v", err)
		}
	}
	cfg.NvidiaDevices = []string{"nvidia0", "nvidiactl"}
	cfg.ContainerName = func() string { return "taskcontainer" }
	return cfg
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to JSON: %v", err)
	}
	return b
}

func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// normalizedGW decodes an expected GW payload into our typed struct with
// generic-worker defaults and re-encodes it (upstream harness step 3).
func normalizedGW(t *testing.T, v any) any {
	t.Helper()
	b, err := NormalizeGenericWorkerPayload(mustJSON(t, v))
	if err != nil {
		t.Fatalf("normalise expected payload: %v", err)
	}
	return decodeAny(t, b)
}

func TestConformanceGolden(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "corpus", "real", "d2g-golden")
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases in %s (err %v)", dir, err)
	}
	for _, f := range files {
		var gf goldenFile
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &gf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		base := filepath.Base(f)
		for i, c := range gf.TestSuite.PayloadTests {
			t.Run(base+"/payload/"+c.Name+"#"+itoa(i), func(t *testing.T) {
				p, err := DecodePayload(mustJSON(t, c.DWPayload))
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				res, err := TranslatePayload(p, goldenConfig(t, c.D2GConfig))
				if err != nil {
					t.Fatalf("translate: %v", err)
				}
				checkAppendJSON(t, res.Payload)
				got := decodeAny(t, mustJSON(t, res.Payload))
				if d := cmp.Diff(normalizedGW(t, c.GWPayload), got); d != "" {
					t.Errorf("d2g payload mismatch (-want +got):\n%s", d)
				}
			})
		}
		for i, c := range gf.TestSuite.TaskDefTests {
			t.Run(base+"/taskdef/"+c.Name+"#"+itoa(i), func(t *testing.T) {
				res, err := TranslateTask(mustJSON(t, c.DWTaskDef), goldenConfig(t, c.D2GConfig), TaskOptions{})
				if err != nil {
					t.Fatalf("translate: %v", err)
				}
				def, err := res.Definition()
				if err != nil {
					t.Fatal(err)
				}
				want, ok := decodeAny(t, mustJSON(t, c.GWTaskDef)).(map[string]any)
				if !ok {
					t.Fatal("expected task definition is not an object")
				}
				want["payload"] = normalizedGW(t, want["payload"])
				if d := cmp.Diff(want, decodeAny(t, def)); d != "" {
					t.Errorf("task definition mismatch (-want +got):\n%s", d)
				}
			})
		}
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
