package convert

import (
	"bytes"
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
