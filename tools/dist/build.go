package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const buildinfoPkg = "github.com/dwshim/dwshim/internal/buildinfo"

// buildBinary builds the static, stamped dwshim at bin.
func buildBinary(goCmd, root, bin string, src source) error {
	ldflags := strings.Join([]string{
		"-s", "-w", "-buildid=",
		"-X", buildinfoPkg + ".version=" + src.version,
		"-X", buildinfoPkg + ".commit=" + src.commit,
	}, " ")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "./cmd/dwshim")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = os.Stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, stderr.String())
	}
	return nil
}

// writeSums writes sha256sum-format lines for files.
func writeSums(path string, files ...string) error {
	var b strings.Builder
	for _, f := range files {
		h := sha256.New()
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), filepath.Base(f))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
