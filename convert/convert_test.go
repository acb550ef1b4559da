package convert

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/translate"
)

// TestRunSplicesPayload: everything but payload and scopes keeps its bytes
// and order.
func TestRunSplicesPayload(t *testing.T) {
	in := `{"zeta": [1,   2], "taskQueueId": "p/w", "payload": {"image": "ubuntu:24.04", "maxRunTime": 60},
  "scopes": [], "alpha":{"k":"v"}}`
	var out, errs bytes.Buffer
	if err := Run(Options{TaskDef: true, Config: translate.OfflineConfig()}, "-", strings.NewReader(in), &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	got := out.String()
	for _, keep := range []string{`"zeta": [`, `1,`, `"taskQueueId": "p/w"`, `"alpha": {`} {
		if !strings.Contains(got, keep) {
			t.Errorf("output lacks %q:\n%s", keep, got)
		}
	}
	if strings.Index(got, "zeta") > strings.Index(got, "alpha") || !strings.Contains(got, `"osGroups"`) {
		t.Errorf("order or payload wrong:\n%s", got)
	}
}

// TestWarningsFilteredByCode: each target shows the translate warnings
// that concern it (the native target neither those about the d2g payload
// alone nor those it words itself), decided by their code whatever their
// text says.
func TestWarningsFilteredByCode(t *testing.T) {
	ws := []translate.Warning{
		{Pointer: "/a", Code: translate.WarnD2GArtifactsDisableLogs, Message: "no mention of the target"},
		{Pointer: "/b", Code: translate.WarnPoolCacheScope, Message: "so the d2g target fails on generic-worker"},
		{Pointer: "/c", Code: translate.WarnD2GExitStatus, Message: "the d2g payload will fail validation"},
		{Pointer: "/d", Code: translate.WarnWorkerVariable, Message: "in the d2g target the payload value wins"},
		{Pointer: "/e", Code: translate.WarnMaxRunTimeClamped, Message: "the plan uses the largest duration"},
	}
	got := (&converter{native: true}).targetWarnings(ws)
	if want := []translate.Warning{ws[1], ws[4]}; !slices.Equal(got, want) {
		t.Errorf("native warnings = %q, want %q", got, want)
	}
	got = (&converter{}).targetWarnings(ws)
	if want := ws[:4]; !slices.Equal(got, want) {
		t.Errorf("d2g warnings = %q, want %q", got, want)
	}
	// End to end: artifacts disabled warns for d2g only.
	in := `{"image": "ubuntu:24.04", "maxRunTime": 60, "features": {"artifacts": false}}`
	for _, target := range []string{"d2g", "native"} {
		var out, errs bytes.Buffer
		if err := Run(Options{Target: target, Config: translate.OfflineConfig()}, "-", strings.NewReader(in), &out, &errs); err != nil {
			t.Fatalf("%s: %v\n%s", target, err, errs.String())
		}
		if warned := strings.Contains(errs.String(), "/features/artifacts"); warned != (target == "d2g") {
			t.Errorf("%s: warned about /features/artifacts: %v\n%s", target, warned, errs.String())
		}
	}
}
