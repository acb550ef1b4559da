package testenv

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path"
	"testing"
)

// CraftImage returns a `docker save` tarball of the base image changed so
// that it is an image of its own (its config sets WHO=who, so `echo $WHO`
// tells which image a container runs) carrying the given RepoTags and, when
// legacy is set, a pre-1.10 "repositories" file naming them: what a hostile
// task could upload as an image artifact. The layers are the base's.
func CraftImage(t testing.TB, base, who string, tags []string, legacy bool) []byte {
	t.Helper()
	saved, err := exec.Command("docker", "save", base).Output()
	if err != nil {
		t.Fatalf("docker save %s: %v", base, err)
	}
	type entry struct {
		h    *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h, b})
	}
	find := func(name string) int {
		for i, e := range entries {
			if path.Clean(e.h.Name) == name {
				return i
			}
		}
		t.Fatalf("docker save output has no %s", name)
		return -1
	}
	mi := find("manifest.json")
	var manifest []map[string]any
	if err := json.Unmarshal(entries[mi].body, &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v", err)
	}
	ci := find(path.Clean(manifest[0]["Config"].(string)))
	var cfg map[string]any
	if err := json.Unmarshal(entries[ci].body, &cfg); err != nil {
		t.Fatal(err)
	}
	c, _ := cfg["config"].(map[string]any)
	if c == nil {
		c = map[string]any{}
		cfg["config"] = c
	}
	env, _ := c["Env"].([]any)
	c["Env"] = append(env, "WHO="+who)
	body, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	id := hex.EncodeToString(sum[:])
	entries[ci].body, entries[ci].h.Name = body, id+".json"
	manifest[0]["Config"], manifest[0]["RepoTags"] = id+".json", tags
	if entries[mi].body, err = json.Marshal(manifest); err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, e := range entries {
		if path.Clean(e.h.Name) != "repositories" {
			out = append(out, e)
		}
	}
	if legacy {
		repos := map[string]map[string]string{}
		for _, tag := range tags {
			i := len(tag) - 1
			for i > 0 && tag[i] != ':' {
				i--
			}
			if repos[tag[:i]] == nil {
				repos[tag[:i]] = map[string]string{}
			}
			repos[tag[:i]][tag[i+1:]] = id
		}
		b, _ := json.Marshal(repos)
		out = append(out, entry{&tar.Header{Name: "repositories", Mode: 0o644, Typeflag: tar.TypeReg}, b})
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range out {
		e.h.Size = int64(len(e.body))
		if e.h.Typeflag != tar.TypeReg {
			e.h.Size = 0
		}
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body[:e.h.Size]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ArtifactTag is the tag runner/docker gives the image artifact of this
// identity in repo: what an attacker would predict and plant.
func ArtifactTag(repo, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return fmt.Sprintf("%s:%s", repo, hex.EncodeToString(sum[:])[:32])
}
