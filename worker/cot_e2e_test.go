package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// TestE2EChainOfTrustImageArtifact: a task-image task's certificate has
// imageArtifactHash (the sha256 of the artifact as downloaded) and
// imageHash (the image ID), also when the second task reuses the loaded
// image; certificate and signature are stored plain, and the signature
// verifies with the worker's public key.
func TestE2EChainOfTrustImageArtifact(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	tarball := testenv.CraftImage(t, e2eImage, "cot", nil, false)
	if err := env.fake.UploadArtifact("COTIMAGEQACAAAAAAAAAAA", "public/image.tar", tarball); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball)
	wantHash := "sha256:" + hex.EncodeToString(sum[:])
	env.cfg.NumberOfTasksToRun = 2
	w := env.dockerWorker(t)
	for _, id := range []string{"cot1", "cot2"} {
		env.addTask(t, id, dwPayload("true", map[string]any{
			"image":    map[string]any{"type": "task-image", "taskId": "COTIMAGEQACAAAAAAAAAAA", "path": "public/image.tar"},
			"features": map[string]any{"chainOfTrust": true}}), nil)
	}
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var ids []any
	for _, id := range []string{"cot1", "cot2"} {
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		cert, _ := r.Artifact(cotCertName)
		sig, _ := r.Artifact(cotSigName)
		if r.State != "completed" || !ed25519.Verify(env.pub, cert.RawData, sig.RawData) {
			t.Fatalf("%s: run %s, signature does not verify over the stored certificate %s", id, r.State, cert.RawData)
		}
		if cert.ContentEncoding != "" || sig.ContentEncoding != "" {
			t.Errorf("%s: certificate/signature stored with Content-Encoding %q/%q, want plain", id, cert.ContentEncoding, sig.ContentEncoding)
		}
		var c struct {
			Environment map[string]any `json:"environment"`
		}
		if err := json.Unmarshal(cert.RawData, &c); err != nil {
			t.Fatal(err)
		}
		if c.Environment["imageArtifactHash"] != wantHash {
			t.Errorf("%s: imageArtifactHash %v, want %s", id, c.Environment["imageArtifactHash"], wantHash)
		}
		ids = append(ids, c.Environment["imageHash"])
	}
	if ids[0] != ids[1] || ids[0] == nil || ids[0] == imageID(t, e2eImage) {
		t.Errorf("imageHash %v, want the artifact's own image ID twice", ids)
	}
}
