package worker

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
)

// NewSigningKey writes a fresh ed25519 private key to path in
// generic-worker's format (the base64 of the 32-byte seed, no newline;
// ReadSigningKey and generic-worker's ed25519SigningKeyLocation read it) and
// returns the base64 public key, which generic-worker prints for operators
// to register with their chain-of-trust verifier. The parent directory must
// exist; an existing file is overwritten, a new one is created 0600.
func NewSigningKey(path string) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate ed25519 key: %w", err)
	}
	seed := base64.StdEncoding.EncodeToString(priv.Seed())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", fmt.Errorf("ed25519 key file: %w", err)
	}
	if _, err := f.WriteString(seed); err != nil {
		f.Close()
		return "", fmt.Errorf("ed25519 key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("ed25519 key file %s: %w", path, err)
	}
	return base64.StdEncoding.EncodeToString(pub), nil
}
