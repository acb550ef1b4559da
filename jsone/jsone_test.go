package jsone

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestInjectedClock(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	got, err := RenderOptions(map[string]any{
		"a": map[string]any{"$fromNow": "1 day"},
		"b": map[string]any{"$eval": "fromNow('2 hours')"},
		"c": map[string]any{"$eval": "now"},
	}, nil, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"2030-05-07T07:08:09.010Z","b":"2030-05-06T09:08:09.010Z","c":"2030-05-06T07:08:09.010Z"}`
	if s := stableJSON(got); s != want {
		t.Fatalf("got %s, want %s", s, want)
	}
}

func TestContextValues(t *testing.T) {
	double := Func(func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, errors.New("double takes one argument")
		}
		return args[0].(float64) * 2, nil
	})
	ctx := map[string]any{"n": 21, "num": json.Number("1.5"), "double": double, "list": []string{"a"}}
	got, err := Render(map[string]any{"$eval": "[double(n), num, list[0]]"}, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := stableJSON(got); s != `[42,1.5,"a"]` {
		t.Fatalf("got %s", s)
	}
	_, err = Render(map[string]any{"$eval": "double()"}, ctx)
	var je *Error
	if !errors.As(err, &je) || je.Kind != InterpreterError || !strings.Contains(err.Error(), "one argument") {
		t.Fatalf("a failing Func must be an InterpreterError, got %v", err)
	}
	if _, err := Render(map[string]any{"$eval": "double"}, ctx); err == nil || !strings.Contains(err.Error(), "uncalled functions") {
		t.Fatalf("an uncalled function in the result must fail, got %v", err)
	}
}

func TestErrorPointer(t *testing.T) {
	tmpl := map[string]any{"tasks": []any{map[string]any{"$if": "true", "then": map[string]any{"payload": map[string]any{"$eval": "missing"}}}}}
	_, err := Render(tmpl, nil)
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("got %v", err)
	}
	if je.Error() != "InterpreterError at template.tasks[0].payload: unknown context value missing" {
		t.Errorf("Error() = %q", je.Error())
	}
	if je.Pointer() != "/tasks/0/then/payload/$eval" {
		t.Errorf("Pointer() = %q", je.Pointer())
	}
}

func TestOrigins(t *testing.T) {
	tmpl := map[string]any{
		"$let": map[string]any{"img": "ubuntu"},
		"in": map[string]any{"tasks": map[string]any{"$flatten": []any{
			[]any{map[string]any{"$if": "false", "then": "x"}},
			map[string]any{"$map": []any{1, 2}, "each(x)": map[string]any{
				"$merge": []any{
					map[string]any{"payload": map[string]any{"image": "${img}", "n": map[string]any{"$eval": "x"}}},
					map[string]any{"extra": map[string]any{"$eval": "{a: {b: 1}}"}},
				},
			}},
		}}},
	}
	got, o, err := RenderTraced(tmpl, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := stableJSON(got); s != `{"tasks":[{"extra":{"a":{"b":1}},"payload":{"image":"ubuntu","n":1}},{"extra":{"a":{"b":1}},"payload":{"image":"ubuntu","n":2}}]}` {
		t.Fatalf("rendered %s", s)
	}
	for ptr, want := range map[string]struct {
		tmpl  string
		exact int
	}{
		"/tasks/1/payload/image": {"/in/tasks/$flatten/1/each(x)/$merge/0/payload/image", 4},
		"/tasks/0/payload/n":     {"/in/tasks/$flatten/1/each(x)/$merge/0/payload/n", 4},
		"/tasks/0/extra/a/b":     {"/in/tasks/$flatten/1/each(x)/$merge/1/extra", 3},
		"/tasks/7":               {"/in/tasks/$flatten", 1},
		"/tasks":                 {"/in/tasks/$flatten", 1},
	} {
		tm, exact := o.Lookup(ptr)
		if tm != want.tmpl || exact != want.exact {
			t.Errorf("Lookup(%q) = %q, %d; want %q, %d", ptr, tm, exact, want.tmpl, want.exact)
		}
	}
}

func TestLimits(t *testing.T) {
	for name, tmpl := range map[string]any{
		"range":    map[string]any{"$eval": "range(0, 100000000)"},
		"doubling": map[string]any{"$reduce": map[string]any{"$eval": "range(0, 64)"}, "initial": "xx", "each(acc, x)": map[string]any{"$eval": "acc + acc"}},
		"deep":     map[string]any{"$eval": strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000)},
	} {
		if _, err := Render(tmpl, nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	_, err := RenderOptions(map[string]any{"$map": map[string]any{"$eval": "range(0, 1000)"}, "each(x)": "${x}"}, nil, Options{MaxSteps: 100})
	if err == nil || !strings.Contains(err.Error(), "too much work") {
		t.Errorf("MaxSteps: got %v", err)
	}
}

// FuzzRender renders arbitrary JSON templates against a small context: no
// panic, and every error is a *jsone.Error.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		`{"$eval": "a + b * 2 ** 3"}`,
		`{"x": "${a} and ${s[1:]}", "$$y": 1}`,
		`{"$if": "a in [1, 2]", "then": {"$json": [1, {"b": true}]}, "else": null}`,
		`{"$let": {"v": {"$eval": "o"}}, "in": {"$map": {"$eval": "v"}, "each(x, k)": {"${k}": {"$eval": "x"}}}}`,
		`{"$sort": [3, 1, 2]}`, `{"$reduce": [1, 2], "initial": 0, "each(a, x)": {"$eval": "a + x"}}`,
		`{"$mergeDeep": [{"a": [1]}, {"a": [2]}]}`, `{"$switch": {"a == 1": "one", "$default": "x"}}`,
		`{"$find": [1, 2], "each(x)": "x > 1"}`, `{"$fromNow": "1 year 2 days", "from": "2020-01-01T00:00:00.000Z"}`,
		`{"$eval": "split(str(len(s)), '') + [lowercase(s), typeof(o), defined('a')]"}`,
	} {
		f.Add(s)
	}
	ctx := map[string]any{"a": 1, "b": 2.5, "s": "héllo", "o": map[string]any{"k": "v"}}
	f.Fuzz(func(t *testing.T, src string) {
		var tmpl any
		if json.Unmarshal([]byte(src), &tmpl) != nil {
			return
		}
		_, err := RenderOptions(tmpl, ctx, Options{Now: specNow, MaxSteps: 100_000})
		var je *Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("error %T %v is not a *jsone.Error", err, err)
		}
	})
}
