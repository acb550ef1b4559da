package translate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestWarningCodesDistinct: every Warn… constant has its own code, so no
// two kinds of warning are told apart by text alone.
func TestWarningCodesDistinct(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Warn") || len(vs.Values) != 1 {
				continue
			}
			code, err := strconv.Unquote(vs.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[code]; dup {
				t.Errorf("%s and %s share the code %q", other, vs.Names[0].Name, code)
			}
			seen[code] = vs.Names[0].Name
		}
	}
	if len(seen) < 15 {
		t.Fatalf("found only %d warning codes", len(seen))
	}
}

func TestWarningConcerns(t *testing.T) {
	for _, c := range []struct {
		code         WarningCode
		pl, d2g, nat bool
	}{
		{WarnD2GIndexedImageProxy, false, true, false},
		{WarnWorkerVariable, true, true, false},
		{WarnNativeWorkerVariable, false, false, true},
		{WarnMaxRunTimeClamped, true, false, true},
		{WarnPoolCacheScope, false, true, true},
		{WarnTaskImageDependency, false, true, true},
		{"", true, true, true}, // a warning without a code is shown everywhere
	} {
		if got := [3]bool{c.code.Concerns(TargetPlan), c.code.Concerns(TargetD2G), c.code.Concerns(TargetNative)}; got != [3]bool{c.pl, c.d2g, c.nat} {
			t.Errorf("%q concerns plan, d2g, native = %v", c.code, got)
		}
	}
}
