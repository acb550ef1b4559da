package translate

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func reflectJSON(t *testing.T, p *GenericWorkerPayload) string {
	t.Helper()
	b, err := json.Marshal((*gwPayloadPlain)(p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkAppendJSON(t *testing.T, p *GenericWorkerPayload) {
	t.Helper()
	got, _ := p.MarshalJSON()
	if want := reflectJSON(t, p); string(got) != want {
		t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*gwPayloadPlain)(p)); err != nil {
		t.Fatal(err)
	}
	if got, want := string(p.AppendJSONNoEscape(nil))+"\n", buf.String(); got != want {
		t.Fatalf("AppendJSONNoEscape differs from encoding/json without HTML escaping:\n got %s\nwant %s", got, want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	checkAppendJSON(t, &GenericWorkerPayload{})
	full := &GenericWorkerPayload{
		Artifacts: []GWArtifact{{ContentEncoding: "gzip", ContentType: "text/plain", Expires: TCTime(time.Date(2024, 5, 28, 16, 12, 56, 693817000, time.FixedZone("x", 3600))), Name: "n<&>", Optional: true, Path: "p", Type: "file"}, {}},
		Command:   [][]string{{"docker", "a\u2028b\u2029c", "\x00\x1f\b\f\n\r\t\"\\", "\xff\xfe", "é😀"}, nil},
		Env:       map[string]string{"b": "2", "a": "1"},
		Features:  GWFeatures{true, true, true, true, true, true, true, true},
		Logs:      GWLogs{"b", "l"},
		Mounts: []GWMount{{CacheName: "c", Directory: "d"}, {Content: &GWContent{Artifact: "a", Namespace: "n", SHA256: "s", TaskID: "t", URL: "u"}, File: "f", Format: "lz4"},
			{Content: &GWContent{}}, {}},
		MaxRunTime:                -5,
		OnExitStatus:              GWOnExitStatus{PurgeCaches: []int64{1, -2}, Retry: []int64{3}},
		OSGroups:                  []string{"docker"},
		SupersederURL:             "https://x/?a=1&b=<2>",
		TaskclusterProxyInterface: "docker-bridge",
	}
	checkAppendJSON(t, full)
	full.OnExitStatus = GWOnExitStatus{Retry: []int64{}, PurgeCaches: []int64{7}}
	checkAppendJSON(t, full)
	full.OnExitStatus = GWOnExitStatus{Retry: []int64{}}
	checkAppendJSON(t, full)
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("a", "<b>", "\u2028", int64(3), true)
	f.Add("\xff", "", "x\ny", int64(-1), false)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, n int64, flag bool) {
		p := &GenericWorkerPayload{
			Artifacts:     []GWArtifact{{Name: s1, Path: s2, Type: s3, Optional: flag, Expires: TCTime(time.Unix(n%(1<<35), n%1e9))}},
			Command:       [][]string{{s1, s2, s3}},
			Env:           map[string]string{s1: s2, s3: s1},
			Features:      GWFeatures{BackingLog: flag, Interactive: !flag},
			Logs:          GWLogs{s3, s2},
			MaxRunTime:    n,
			Mounts:        []GWMount{{CacheName: s1, Directory: s2}, {Content: &GWContent{Artifact: s3}, File: s1, Format: s2}},
			OnExitStatus:  GWOnExitStatus{Retry: []int64{n}},
			SupersederURL: s2,
		}
		checkAppendJSON(t, p)
	})
}
