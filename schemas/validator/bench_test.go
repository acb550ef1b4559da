package validator

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dwshim/dwshim/schemas"
	"github.com/xeipuuv/gojsonschema"
)

type benchPayload struct {
	name string
	raw  []byte
	doc  any
}

// benchPayloads returns the hand-written fixtures and, when the shared
// generator can run, 200 synthetic Firefox-like payloads as one set.
func benchPayloads(b *testing.B) (fixtures []benchPayload, synthetic []benchPayload) {
	b.Helper()
	fx, err := os.ReadFile(filepath.Join("testdata", "firefox-build-payload.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []benchPayload{
		{name: "firefox-build-4KB", raw: fx},
		{name: "minimal", raw: []byte(`{"image":"ubuntu:24.04","maxRunTime":600,"command":["true"]}`)},
		{name: "invalid-dind", raw: []byte(`{"image":{"type":"docker-image"},"maxRunTime":600,"features":{"dind":true},"env":{"A":1}}`)},
	} {
		doc, err := DecodeJSON(p.raw)
		if err != nil {
			b.Fatal(err)
		}
		p.doc = doc
		fixtures = append(fixtures, p)
	}
	return fixtures, generated(b)
}

func generated(b *testing.B) []benchPayload {
	shared := os.Getenv("DWSHIM_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared")
	}
	gen := filepath.Join(shared, "corpus", "synthetic", "gen", "main.go")
	out := filepath.Join(b.TempDir(), "tasks.jsonl.gz")
	cmd := exec.Command("go", "run", gen, "-n", "200", "-seed", "1", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Logf("SKIPPING synthetic payloads: go run %s: %v\n%s", gen, err, msg)
		return nil
	}
	f, err := os.Open(out)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var ps []benchPayload
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var task struct {
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &task); err != nil {
			b.Fatal(err)
		}
		doc, err := DecodeJSON(task.Payload)
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, benchPayload{raw: task.Payload, doc: doc})
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return ps
}

// BenchmarkValidateDockerWorker compares our compiled santhosh schema, the same schema compiled by xeipuuv/gojsonschema, and
// the json-decode-to-map + re-encode baseline the lint budget is set
// against. The synthetic sets report ns/payload.
func BenchmarkValidateDockerWorker(b *testing.B) {
	fixtures, synthetic := benchPayloads(b)
	gjs, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemas.DockerWorkerPayloadSchema()))
	if err != nil {
		b.Fatal(err)
	}
	validators := []struct {
		name string
		fn   func(b *testing.B, p benchPayload) int
	}{
		{"santhosh", func(b *testing.B, p benchPayload) int { return len(validateDockerWorkerFull(p.doc)) }},
		{"gojsonschema", func(b *testing.B, p benchPayload) int {
			r, err := gjs.Validate(gojsonschema.NewGoLoader(p.doc))
			if err != nil {
				b.Fatal(err)
			}
			return len(r.Errors())
		}},
		{"santhosh-from-bytes", func(b *testing.B, p benchPayload) int {
			ps, err := ValidateDockerWorkerPayloadJSON(p.raw)
			if err != nil {
				b.Fatal(err)
			}
			return len(ps)
		}},
		{"baseline-decode-reencode", func(b *testing.B, p benchPayload) int {
			var m map[string]any
			if err := json.Unmarshal(p.raw, &m); err != nil {
				b.Fatal(err)
			}
			out, err := json.Marshal(m)
			if err != nil {
				b.Fatal(err)
			}
			return len(out) & 0
		}},
	}
	for _, v := range validators {
		for _, p := range fixtures {
			b.Run(v.name+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p.raw)))
				for b.Loop() {
					v.fn(b, p)
				}
			})
		}
		if len(synthetic) == 0 {
			continue
		}
		b.Run(v.name+"/synthetic-200", func(b *testing.B) {
			b.ReportAllocs()
			bad := 0
			for b.Loop() {
				bad = 0
				for _, p := range synthetic {
					if v.fn(b, p) > 0 {
						bad++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(synthetic)), "ns/payload")
			if bad > 0 && v.name != "baseline-decode-reencode" {
				b.Errorf("%d synthetic payloads invalid", bad)
			}
		})
	}
}

// BenchmarkValidateGenericWorker measures generic-worker validation on a
// d2g-like payload, for callers that validate translation output.
func BenchmarkValidateGenericWorker(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "generic-worker-d2g-payload.json"))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := DecodeJSON(raw)
	if err != nil {
		b.Fatal(err)
	}
	if ps := ValidateGenericWorkerPayload(doc); ps != nil {
		b.Fatalf("fixture invalid: %v", ps)
	}
	gjs, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemas.GenericWorkerPayloadSchema()))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("santhosh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			validateGenericWorkerFull(doc)
		}
	})
	b.Run("gojsonschema", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := gjs.Validate(gojsonschema.NewGoLoader(doc))
			if err != nil || !r.Valid() {
				b.Fatalf("%v %v", err, r.Errors())
			}
		}
	})
}
