package worker

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ReadSigningKey reads generic-worker's ed25519 key file: the base64 of
// the 32-byte seed (generic-worker new-ed25519-keypair). The base64 of a
// full 64-byte private key is accepted too.
func ReadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ed25519SigningKeyLocation: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("ed25519SigningKeyLocation %s: not base64: %w", path, err)
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("ed25519SigningKeyLocation %s: key is %d bytes, want a %d-byte seed", path, len(raw), ed25519.SeedSize)
}

// The chain-of-trust artifacts (stored plain, see gzipFor).
const (
	cotCertName = "public/chain-of-trust.json"
	cotSigName  = "public/chain-of-trust.json.sig"
)

// certificate is generic-worker's chain-of-trust.json.
type certificate struct {
	Version     int                          `json:"chainOfTrustVersion"`
	Artifacts   map[string]map[string]string `json:"artifacts"`
	Task        json.RawMessage              `json:"task"`
	TaskID      string                       `json:"taskId"`
	RunID       int                          `json:"runId"`
	WorkerGroup string                       `json:"workerGroup"`
	WorkerID    string                       `json:"workerId"`
	Environment map[string]any               `json:"environment"`
}

// chainOfTrust uploads certified.log, chain-of-trust.json and its detached
// ed25519 signature.
func (w *Worker) chainOfTrust(ctx context.Context, tl *TaskLog, arts *Artifacts, rs *runState, def TaskDefinition, out Outcome) error {
	if err := arts.UploadFile(ctx, "public/logs/certified.log", tl.Path(), "text/plain; charset=utf-8", def.Expires); err != nil {
		return err
	}
	env := map[string]any{}
	for k, v := range out.Environment {
		env[k] = v
	}
	env["privateIpAddress"] = w.cfg.PrivateIP
	env["instanceId"] = w.cfg.InstanceID
	env["instanceType"] = w.cfg.InstanceType
	env["region"] = w.cfg.Region
	if w.cfg.PublicIP != "" {
		env["publicIpAddress"] = w.cfg.PublicIP
	}
	hashes := arts.Hashes()
	names := make([]string, 0, len(hashes))
	for n := range hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	cert := certificate{Version: 1, Artifacts: map[string]map[string]string{}, Task: rs.claim.Definition,
		TaskID: rs.claim.TaskID, RunID: rs.claim.RunID, WorkerGroup: w.cfg.WorkerGroup, WorkerID: w.cfg.WorkerID, Environment: env}
	for _, n := range names {
		cert.Artifacts[n] = map[string]string{"sha256": hashes[n]}
	}
	body, err := json.MarshalIndent(cert, "", "  ")
	if err != nil {
		return fmt.Errorf("chain of trust: %w", err)
	}
	if err := arts.Upload(ctx, cotCertName, "text/plain; charset=utf-8", def.Expires, bytes.NewReader(body)); err != nil {
		return err
	}
	sig := ed25519.Sign(w.signer, body)
	return arts.Upload(ctx, cotSigName, "application/octet-stream", def.Expires, bytes.NewReader(sig))
}
