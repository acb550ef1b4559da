package translate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustDecode(t *testing.T, js string) *DockerWorkerPayload {
	t.Helper()
	p, err := DecodePayload([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return p
}

// The mixture example of upstream's ExampleConvertScopes_mixture (§3.2).
func TestConvertScopesMixture(t *testing.T) {
	scopes := []string{
		"docker-worker:capability:device:kvm",
		"docker-worker:capability:device:kvm:proj/other",
		"docker-worker:capability:device:loopbackVideo",
		"docker-worker:capability:device:loopbackVideo:",
		"docker-worker:capability:device:loopbackAudio",
		"docker-worker:capability:device:loopbackAudio:proj/x",
		"docker-worker:cache:foo",
		"docker-worker",
		"queue:route:x",
		"docker-worker:cache:foo",
	}
	got := ConvertScopes(scopes, scopes, "proj/wt")
	want := []string{
		"docker-worker",
		"docker-worker:cache:foo",
		"docker-worker:cache:foo",
		"docker-worker:capability:device:kvm",
		"docker-worker:capability:device:kvm:proj/other",
		"docker-worker:capability:device:loopbackAudio",
		"docker-worker:capability:device:loopbackAudio:proj/x",
		"docker-worker:capability:device:loopbackVideo",
		"docker-worker:capability:device:loopbackVideo:",
		"generic-worker:cache:foo",
		"generic-worker:cache:foo",
		"generic-worker:loopback-audio:*",
		"generic-worker:loopback-audio:proj/x",
		"generic-worker:loopback-video:",
		"generic-worker:loopback-video:*",
		"generic-worker:os-group:proj/other/kvm",
		"generic-worker:os-group:proj/other/libvirt",
		"generic-worker:os-group:proj/wt/docker",
		"generic-worker:os-group:proj/wt/kvm",
		"generic-worker:os-group:proj/wt/libvirt",
		"queue:route:x",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func scopeError(t *testing.T, err error) string {
	t.Helper()
	var te *Error
	if !errors.As(err, &te) || te.Reason != MalformedPayload || len(te.Problems) != 1 || te.Problems[0].Pointer != "/scopes" {
		t.Fatalf("want one malformed-payload problem at /scopes, got %#v", err)
	}
	return te.Problems[0].Message
}

func TestValidateScopesRequiresDisableSeccomp(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":1,"capabilities":{"disableSeccomp":true}}`)
	msg := scopeError(t, ValidateScopes(p, "proj/wt", []string{"docker-worker:capability:disableSeccomp:proj/wt"}))
	want := "d2g task requires scopes:\n\n(docker-worker:capability:disableSeccomp)\n\nbut task only has scopes:\n\n" +
		"docker-worker:capability:disableSeccomp:proj/wt\n\nYou probably should add some scopes to your task definition"
	if msg != want {
		t.Errorf("got %q\nwant %q", msg, want)
	}
	if err := ValidateScopes(p, "proj/wt", []string{"docker-worker:capability:disableSeccomp"}); err != nil {
		t.Errorf("exact scope: %v", err)
	}
	if err := ValidateScopes(p, "proj/wt", []string{"docker-worker:capability:*"}); err != nil {
		t.Errorf("star scope: %v", err)
	}
}

func TestValidateScopesEveryCapability(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true,"disableSeccomp":true,
		"devices":{"kvm":true,"hostSharedMemory":true,"loopbackAudio":true,"loopbackVideo":true}},"features":{"allowPtrace":true}}`)
	for _, r := range RequiredScopes(p, "p/w") {
		// Everything but this requirement's scopes: it must be the only one missing.
		var given []string
		for _, o := range RequiredScopes(p, "p/w") {
			if o.Pointer != r.Pointer {
				given = append(given, o.Alternatives[len(o.Alternatives)-1])
			}
		}
		msg := scopeError(t, ValidateScopes(p, "p/w", given))
		if !strings.Contains(msg, "("+strings.Join(r.Alternatives, ", or\n")+")") || strings.Contains(msg, "\nAND\n") {
			t.Errorf("%s: message %q", r.Pointer, msg)
		}
	}
}

func TestValidateScopesReportsEveryMissingGroup(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true,"disableSeccomp":true}}`)
	msg := scopeError(t, ValidateScopes(p, "proj/wt", []string{"foo", "bar"}))
	want := "d2g task requires scopes:\n\n(docker-worker:capability:privileged, or\ndocker-worker:capability:privileged:proj/wt)\nAND\n" +
		"(docker-worker:capability:disableSeccomp)\n\nbut task only has scopes:\n\nfoo and bar\n\nYou probably should add some scopes to your task definition"
	if msg != want {
		t.Errorf("got %q\nwant %q", msg, want)
	}
	msg = scopeError(t, ValidateScopes(p, "proj/wt", nil))
	if !strings.Contains(msg, "\n\n<no scopes>\n\n") {
		t.Errorf("no scopes: %q", msg)
	}
}

func TestTranslatePayloadRejectsInvalidImageName(t *testing.T) {
	p := mustDecode(t, `{"image":"--privileged","maxRunTime":1}`)
	_, err := TranslatePayload(p, DefaultConfig())
	var te *Error
	if !errors.As(err, &te) || te.Reason != MalformedPayload {
		t.Fatalf("want malformed-payload, got %v", err)
	}
	want := Problem{Pointer: "/image", Message: `invalid image name "--privileged": invalid reference format`, Kind: ProblemImageReference}
	if te.Problems[0] != want {
		t.Errorf("got %v, want %v", te.Problems[0], want)
	}
}

func TestTranslateTaskAssumeWarning(t *testing.T) {
	task := `{"taskQueueId":"p/w","scopes":["assume:repo:x"],"payload":{"image":"ubuntu","maxRunTime":1}}`
	r, err := TranslateTask([]byte(task), DefaultConfig(), TaskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(r.Warnings, "/scopes") {
		t.Errorf("no /scopes warning: %v", r.Warnings)
	}
	expand := func(s []string) ([]string, error) {
		return append(s, "docker-worker:capability:privileged"), nil
	}
	task = `{"taskQueueId":"p/w","scopes":["assume:repo:x"],"payload":{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true}}}`
	r, err = TranslateTask([]byte(task), DefaultConfig(), TaskOptions{ExpandScopes: expand})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"assume:repo:x", "generic-worker:capability:privileged", "generic-worker:os-group:p/w/docker"}
	if d := cmp.Diff(want, r.Scopes); d != "" {
		t.Errorf("scopes (-want +got):\n%s", d)
	}
	_, err = TranslateTask([]byte(task), DefaultConfig(), TaskOptions{ExpandScopes: func([]string) ([]string, error) {
		return nil, fmt.Errorf("auth down")
	}})
	if err == nil || !strings.HasPrefix(err.Error(), "error expanding scopes: ") {
		t.Errorf("expand failure: %v", err)
	}
}

func hasWarning(ws []Warning, ptr string) bool {
	for _, w := range ws {
		if w.Pointer == ptr {
			return true
		}
	}
	return false
}
