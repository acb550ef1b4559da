package translate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// FuzzFastDecodeMatchesSlow checks the hand-written decoder against the
// encoding/json path: whenever the fast path accepts an input, the slow
// path must accept it too and produce the same values.
func FuzzFastDecodeMatchesSlow(f *testing.F) {
	f.Add([]byte(`{"image":"u","maxRunTime":1,"env":{"A":"\u00e9\ud83d\ude00\n","A":"x"},"command":["a\\b"],"features":{"bulkLog":false},"features":{"artifacts":false}}`))
	f.Add([]byte(`{"payload":{"image":{"type":"task-image","taskId":"t","path":"p"},"maxRunTime":2,"cache":{"c":"/c"}},"scopes":["a"],"taskQueueId":"q/w","x":[1,-2.5e3,{"y":null},true,"\u0041"]}`))
	f.Add([]byte(`{"Payload":{},"payload":{"image":"u","maxRunTime":1}}`))
	if ins, _ := filepath.Glob(filepath.Join("..", "testdata", "translate", "*", "in.json")); len(ins) > 0 {
		for _, in := range ins {
			if b, err := os.ReadFile(in); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if fp, ok := decodePayloadFast(raw); ok {
			sp, err := decodePayloadSlow(raw)
			if err != nil {
				t.Fatalf("fast accepted, slow rejected: %v", err)
			}
			if d := cmp.Diff(sp, fp); d != "" {
				t.Fatalf("payload differs (-slow +fast):\n%s", d)
			}
		}
		if fh, fp, ok := fastTask(raw); ok {
			sh, sp, err := slowTask(raw)
			if err != nil {
				t.Fatalf("fast accepted task, slow rejected: %v", err)
			}
			if d := cmp.Diff(sp, fp); d != "" {
				t.Fatalf("task payload differs (-slow +fast):\n%s", d)
			}
			if d := cmp.Diff(sh, fh, cmp.AllowUnexported(fastHeader{})); d != "" {
				t.Fatalf("task header differs (-slow +fast):\n%s", d)
			}
		}
	})
}

func TestFastStringsMatchEncodingJSON(t *testing.T) {
	for _, v := range []string{`plain`, `a\"b\\c\/d`, `\b\f\n\r\t`, `\u00e9\u20ac`, `\ud83d\ude00`, `\ud83d`, `\ude00x`, `\ud83dx\ude00`,
		`\ud83d\u0041`, "\xff\xfe", "é\xc3", `\u0000`, "caf\xc3\xa9\\n", `x\u2028y`} {
		raw := []byte(`{"image":"u","maxRunTime":1,"env":{"K":"` + v + `"}}`)
		fp, ok := decodePayloadFast(raw)
		sp, err := decodePayloadSlow(raw)
		if !ok || err != nil {
			t.Errorf("%s: fast ok %v, slow err %v", v, ok, err)
			continue
		}
		if fp.Env["K"] != sp.Env["K"] {
			t.Errorf("%s: fast %q, slow %q", v, fp.Env["K"], sp.Env["K"])
		}
	}
	for _, bad := range []string{"a\x01b", `\x`, `\u12`, `abc\`} {
		raw := []byte(`{"image":"u","maxRunTime":1,"env":{"K":"` + bad + `"}}`)
		if _, ok := decodePayloadFast(raw); ok {
			t.Errorf("%q: fast path accepted invalid JSON", bad)
		}
	}
}
