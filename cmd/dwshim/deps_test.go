package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryHasNoValidator: the JSON Schema validator is a test oracle
// (package schemas/validator), not part of dwshim: the library compiles
// its meta-schemas at init, which would cost every dwshim start (and
// dwshim local's start-up) several milliseconds.
func TestBinaryHasNoValidator(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 || !strings.Contains(string(out), "github.com/dwshim/dwshim/schemas\n") {
		t.Fatalf("go list -deps listed %d packages, without schemas:\n%s", len(deps), out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/santhosh-tekuri/jsonschema") || d == "github.com/dwshim/dwshim/schemas/validator" {
			t.Errorf("dwshim links %s", d)
		}
	}
}
