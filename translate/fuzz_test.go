package translate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzTranslatePayloadJSON decodes and translates arbitrary bytes: no
// panics, errors are always *Error, and a success always encodes.
func FuzzTranslatePayloadJSON(f *testing.F) {
	seeds := []string{
		`{"image":"ubuntu","maxRunTime":1}`,
		`{"image":{"type":"indexed-image","namespace":"a.b","path":"p.tar.lz4"},"maxRunTime":3,"cache":{"x":"/x","y":"/y"},"features":{"artifacts":false}}`,
		`{"image":{"type":"task-image","taskId":"2JGiKFtpRnGbVczc6-OJ1Q","path":"public/i.tar.zst"},"maxRunTime":9223372036854775807}`,
		`{"image":{"type":"docker-image","name":"--x"},"maxRunTime":1}`,
		`{"image":"u","maxRunTime":1,"env":{"A":"a\nb","B":""},"artifacts":{"v":{"type":"volume","path":"/v.d"}},"onExitStatus":{"retry":[-1,-1]}}`,
		`{"image":"u","maxRunTime":1,"capabilities":{"privileged":true,"disableSeccomp":true,"devices":{"kvm":true,"hostSharedMemory":true,"loopbackAudio":true,"loopbackVideo":true}},"features":{"allowPtrace":true,"taskclusterProxy":true,"chainOfTrust":true,"interactive":true}}`,
		`{"image":"u","maxRunTime":1,"log":""}`,
		`{"image":null,"maxRunTime":null}`,
		`[]`, `"x"`, ``, `{`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), true)
	}
	if ins, _ := filepath.Glob(filepath.Join("..", "testdata", "translate", "*", "in.json")); len(ins) > 0 {
		for _, in := range ins {
			if b, err := os.ReadFile(in); err == nil {
				f.Add(b, false)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, gpus bool) {
		cfg := DefaultConfig()
		cfg.AllowGPUs = gpus
		cfg.NvidiaDevices = []string{"nvidiactl", "nvidia0"}
		cfg.ContainerName = func() string { return "taskcontainer" }
		var te *Error
		p, err := DecodePayload(raw)
		if err != nil {
			if !errors.As(err, &te) {
				t.Fatalf("decode error is not *Error: %v", err)
			}
			_, _ = TranslateTask(raw, cfg, TaskOptions{})
			return
		}
		res, err := TranslatePayload(p, cfg)
		if err != nil {
			if !errors.As(err, &te) {
				t.Fatalf("translate error is not *Error: %v", err)
			}
			return
		}
		if _, err := json.Marshal(res.Payload); err != nil {
			t.Fatalf("encode payload: %v", err)
		}
		if _, err := json.Marshal(res.Plan); err != nil {
			t.Fatalf("encode plan: %v", err)
		}
	})
}

// FuzzDecodeMatchesSchema holds the decoder to the published JSON Schema
// (package schemas): with the run-time checks left out, it accepts exactly
// what the schema accepts, for any bytes that encoding/json reads the same
// way (no duplicate names, valid UTF-8).
func FuzzDecodeMatchesSchema(f *testing.F) {
	f.Add([]byte(`{"image":"u","maxRunTime":1,"env":{"A":"\u00e9\ud83d\ude00\n"},"command":["a\\b"],"features":{"bulkLog":false}}`))
	f.Add([]byte(`{"image":{"type":"task-image","taskId":"t","path":"p"},"maxRunTime":2.0,"cache":{"c":"/c"}}`))
	f.Add([]byte(`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/a","expires":"2026-02-29T00:00:00Z"}}}`))
	f.Add([]byte(`{"Image":"u","maxRunTime":1}`))
	for _, s := range parityDocs {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSchemaParity(t, raw)
	})
}
