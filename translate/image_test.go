package translate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

var imageRefCases = []struct {
	ref, reason string // reason "" = valid
}{
	{"ubuntu", ""},
	{"ubuntu:22.04", ""},
	{"library/ubuntu:latest", ""},
	{"mozillareleases/gecko_decision:4.0.0@sha256:9f69fe08c28e3cb3cc296451f0a2735df6e25d0e3c877ea735ef1b7f0b345b06", ""},
	{"localhost:5000/foo/bar:tag", ""},
	{"127.0.0.1:5000/img", ""},
	{"[::1]:5000/img", ""},
	{"Example.COM/foo", ""},
	{"a__b/c--d/e.f:T_a-g.1", ""},
	{"index.docker.io/ubuntu", ""},
	{"", "invalid reference format"},
	{"--privileged", "invalid reference format"},
	{"-ubuntu", "invalid reference format"},
	{"ubuntu latest", "invalid reference format"},
	{" ubuntu", "invalid reference format"},
	{"Ubuntu", "invalid reference format: repository name (library/Ubuntu) must be lowercase"},
	{"foo/Bar:1", "invalid reference format: repository name (foo/Bar) must be lowercase"},
	{"9f69fe08c28e3cb3cc296451f0a2735df6e25d0e3c877ea735ef1b7f0b345b06", "invalid repository name (9f69fe08c28e3cb3cc296451f0a2735df6e25d0e3c877ea735ef1b7f0b345b06), cannot specify 64-byte hexadecimal strings"},
	{"ubuntu:-tag", "invalid reference format"},
	{"ubuntu:" + strings.Repeat("t", 129), "invalid reference format"},
	{"ubuntu@sha256:abc", "invalid reference format"},
	{"ubuntu@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm"},
	{"ubuntu@sha256:0123456789abcdef0123456789abcdef", "invalid checksum digest length"},
	{"ubuntu@sha256:9F69FE08C28E3CB3CC296451F0A2735DF6E25D0E3C877EA735EF1B7F0B345B06", "invalid checksum digest format"},
	{strings.Repeat("a", 260) + "/b", "repository name must not be more than 255 characters"},
	{"foo/", "invalid reference format"},
	{"foo//bar", "invalid reference format"},
	{"foo/bar/", "invalid reference format"},
}

func TestValidateImageReference(t *testing.T) {
	for _, c := range imageRefCases {
		err := ValidateImageReference(c.ref)
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%q: unexpected error %v", c.ref, err)
		case c.reason != "" && (err == nil || err.Error() != `invalid image name "`+strings.ReplaceAll(c.ref, `"`, `\"`)+`": `+c.reason):
			t.Errorf("%q: got %v, want reason %q", c.ref, err, c.reason)
		}
	}
}

// TestValidateImageReferenceMatchesDistribution checks the hand-written
// validator against docker/distribution's ParseNormalizedNamed (the rules
// upstream d2g applies), used here as a test oracle only.
func TestValidateImageReferenceMatchesDistribution(t *testing.T) {
	for _, c := range imageRefCases {
		checkAgainstDistribution(t, c.ref)
	}
}

func checkAgainstDistribution(t *testing.T, ref string) {
	t.Helper()
	_, derr := reference.ParseNormalizedNamed(ref)
	got := ValidateImageReference(ref)
	switch {
	case derr == nil && got != nil:
		t.Errorf("%q: distribution accepts it, we say %q", ref, got)
	case derr != nil && (got == nil || got.Error() != fmt.Sprintf("invalid image name %q: %s", ref, derr)):
		t.Errorf("%q: distribution says %q, we say %q", ref, derr, got)
	}
}

func FuzzImageReference(f *testing.F) {
	for _, c := range imageRefCases {
		f.Add(c.ref)
	}
	f.Fuzz(func(t *testing.T, ref string) { checkAgainstDistribution(t, ref) })
}
