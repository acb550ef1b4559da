package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// source is what identifies a build: version, commit and the time every
// file in the artifacts carries.
type source struct {
	version string
	commit  string
	time    time.Time
}

func git(root string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// readSource reads the commit and its time from git. A tree with changes to
// tracked files gets a commit ending in "-dirty": its artifacts are not the
// commit's.
func readSource(root, base, version string) (source, error) {
	commit, err := git(root, "rev-parse", "HEAD")
	if err != nil {
		return source{}, fmt.Errorf("the version is taken from git (run in a clone): %w", err)
	}
	ct, err := git(root, "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return source{}, err
	}
	epoch, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return source{}, fmt.Errorf("commit time %q: %w", ct, err)
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if epoch, err = strconv.ParseInt(s, 10, 64); err != nil {
			return source{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
	}
	t := time.Unix(epoch, 0).UTC()
	if _, err := git(root, "diff", "--quiet", "HEAD", "--"); err != nil {
		commit += "-dirty"
	}
	if version == "" {
		version = fmt.Sprintf("%s~git%s.%s", base, t.Format("20060102150405"), commit[:12])
	}
	return source{version: version, commit: commit, time: t}, nil
}
