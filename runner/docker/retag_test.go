package docker

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// tarOf builds a tar of the given entries (name → content; a content
// starting with "->" makes a symlink to the rest).
func tarOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		if target, ok := strings.CutPrefix(e[1], "->"); ok {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: e[0], Linkname: target, Mode: 0o777}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e[0], Size: int64(len(e[1])), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// entries reads back a tar as name → content.
func entries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out[h.Name] = string(body)
	}
}

func sumHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestRewriteArchive: every name is removed from what reaches the daemon
// and the image ID is the digest of the config's content, whatever the
// config file is called.
func TestRewriteArchive(t *testing.T) {
	const cfg = `{"rootfs":{"type":"layers","diff_ids":[]}}`
	decoy := strings.Repeat("a", 64)
	in := tarOf(t,
		[2]string{decoy + ".json", cfg},
		[2]string{"blobs/sha256/" + sumHex(cfg), cfg},
		[2]string{"link.json", "->" + decoy + ".json"},
		[2]string{"manifest.json", `[{"Config":"link.json","RepoTags":["victim:latest","dwshim/artifact:0123"],"Layers":[]}]`},
		[2]string{"repositories", `{"victim":{"latest":"` + decoy + `"}}`},
		[2]string{"index.json", `{"schemaVersion":2,"manifests":[{"digest":"sha256:1","annotations":{"io.containerd.image.name":"victim:latest","org.opencontainers.image.ref.name":"latest","keep":"me"}}]}`},
	)
	var out bytes.Buffer
	id, err := rewriteArchive(&out, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + sumHex(cfg); id != want {
		t.Errorf("id %s, want %s (the digest of the config's content)", id, want)
	}
	got := entries(t, out.Bytes())
	if _, ok := got["repositories"]; ok {
		t.Error("repositories was passed on")
	}
	if strings.Contains(got["manifest.json"], "RepoTags") || !strings.Contains(got["manifest.json"], `"Config":"link.json"`) {
		t.Errorf("manifest.json = %s", got["manifest.json"])
	}
	var index struct {
		Manifests []struct{ Annotations map[string]string }
	}
	if err := json.Unmarshal([]byte(got["index.json"]), &index); err != nil || len(index.Manifests) != 1 ||
		len(index.Manifests[0].Annotations) != 1 || index.Manifests[0].Annotations["keep"] != "me" {
		t.Errorf("index.json = %s (%v)", got["index.json"], err)
	}
	if got[decoy+".json"] != cfg {
		t.Errorf("config not copied: %q", got[decoy+".json"])
	}
}

func TestRewriteArchiveRefuses(t *testing.T) {
	const cfg = `{}`
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"two images":     {tarOf(t, [2]string{"c.json", cfg}, [2]string{"manifest.json", `[{"Config":"c.json"},{"Config":"c.json"}]`}), "exactly one"},
		"no manifest":    {tarOf(t, [2]string{"c.json", cfg}, [2]string{"repositories", `{}`}), "no manifest.json"},
		"missing config": {tarOf(t, [2]string{"manifest.json", `[{"Config":"nope.json"}]`}), `names config "nope.json"`},
		"no config":      {tarOf(t, [2]string{"manifest.json", `[{"Layers":[]}]`}), "no Config"},
		"bad manifest":   {tarOf(t, [2]string{"manifest.json", `{`}), "manifest.json"},
		"link loop":      {tarOf(t, [2]string{"a", "->b"}, [2]string{"b", "->a"}, [2]string{"manifest.json", `[{"Config":"a"}]`}), `names config "a"`},
		"not a tar":      {[]byte(strings.Repeat("x", 1024)), "read image tarball"},
	} {
		_, err := rewriteArchive(io.Discard, bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

// TestRewriteArchiveTestImage: the test images' ID comes out as their
// config digest (what the daemon reports), and their tags are gone.
func TestRewriteArchiveTestImage(t *testing.T) {
	var in bytes.Buffer
	if err := testimages.Build(&in, testimages.Options{Tags: []string{"x:y"}, BusyboxPath: "/dev/null",
		Repositories: map[string]map[string]string{"x": {"y": "z"}}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	id, err := rewriteArchive(&out, bytes.NewReader(in.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got := entries(t, out.Bytes())
	cfgName := strings.TrimPrefix(id, "sha256:") + ".json"
	if _, ok := got[cfgName]; !ok || strings.Contains(got["manifest.json"], "x:y") || got["repositories"] != "" {
		t.Errorf("id %s, entries %v, manifest %s", id, len(got), got["manifest.json"])
	}
}
