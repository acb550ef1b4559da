package lint

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/xeipuuv/gojsonschema"

	"github.com/dwshim/dwshim/schemas"
	"github.com/dwshim/dwshim/translate"
)

// benchPayloads returns the payloads of the first n synthetic tasks.
func benchPayloads(b *testing.B, n int) [][]byte {
	benchGraph(b) // makes sure the corpus exists
	f, err := os.Open(filepath.Join(benchCache, "tasks-30k.jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out [][]byte
	for len(out) < n && sc.Scan() {
		var t struct {
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			b.Fatal(err)
		}
		out = append(out, t.Payload)
	}
	return out
}

// BenchmarkPayloadValidators compares, per payload of the synthetic corpus,
// what lint does (byte-level fast path, then translate's typed decode) with
// decoding to map[string]any and validating with package schemas (typed
// fast path over santhosh-tekuri/jsonschema v6) or with xeipuuv/gojsonschema,
// and with the decode + re-encode JSON floor.
func BenchmarkPayloadValidators(b *testing.B) {
	payloads := benchPayloads(b, 2000)
	gjs, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemas.DockerWorkerPayloadSchema()))
	if err != nil {
		b.Fatal(err)
	}
	run := func(name string, fn func(p []byte) bool) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, p := range payloads {
					if !fn(p) {
						b.Fatalf("%s rejects a valid payload", name)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(payloads)), "ns/payload")
		})
	}
	run("lint-fastpath+typed", func(p []byte) bool {
		if !fastValid(p) {
			return false
		}
		_, err := translate.DecodePayload(p)
		return err == nil
	})
	run("lint-fastpath-only", fastValid)
	run("decode+schemas", func(p []byte) bool {
		doc, err := schemas.DecodeJSON(p)
		return err == nil && len(schemas.ValidateDockerWorkerPayload(doc)) == 0
	})
	run("gojsonschema", func(p []byte) bool {
		r, err := gjs.Validate(gojsonschema.NewBytesLoader(p))
		return err == nil && r.Valid()
	})
	run("floor-decode+reencode", func(p []byte) bool {
		var m map[string]any
		if json.Unmarshal(p, &m) != nil {
			return false
		}
		_, err := json.Marshal(m)
		return err == nil
	})
}
