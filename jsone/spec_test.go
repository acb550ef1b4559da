package jsone

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/internal/yamljson"
)

// specNow is the time the specification's cases assume.
var specNow = time.Date(2017, 1, 19, 16, 27, 20, 974_000_000, time.UTC)

type specCase struct {
	Section  string
	Title    string
	Context  map[string]any
	Template any
	Result   any
	// Error is true (any error) or the error's text.
	Error any
	// HasResult tells a null result from a missing one.
	HasResult bool
}

func loadSpec(t *testing.T) []specCase {
	t.Helper()
	name := filepath.Join(testenv.Shared(t, false), "corpus", "jsone-spec", "specification.yml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yamljson.NewDecoder(data, yamljson.Options{})
	var cases []specCase
	section := ""
	for {
		y, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(y.JSON, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc == nil {
			continue
		}
		if s, ok := doc["section"].(string); ok {
			section = s
			continue
		}
		c := specCase{Section: section, Error: doc["error"], Template: doc["template"], Result: doc["result"]}
		_, c.HasResult = doc["result"]
		c.Title, _ = doc["title"].(string)
		c.Context, _ = doc["context"].(map[string]any)
		cases = append(cases, c)
	}
	return cases
}

// TestSpecification runs every case of JSON-e's specification suite; an
// error case must fail with the exact text the reference implementations
// produce (kind, location and message).
func TestSpecification(t *testing.T) {
	cases := loadSpec(t)
	if len(cases) < 1000 {
		t.Fatalf("only %d cases in the specification", len(cases))
	}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Section+"/"+c.Title, func(t *testing.T) {
			got, err := RenderOptions(c.Template, c.Context, Options{Now: specNow})
			if c.Error != nil {
				if err == nil {
					t.Fatalf("want error %v, got result %#v", c.Error, got)
				}
				var je *Error
				if !errors.As(err, &je) {
					t.Fatalf("error %v is not a *jsone.Error", err)
				}
				if want, ok := c.Error.(string); ok && err.Error() != want {
					t.Fatalf("error\n got: %s\nwant: %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want, err := normalize(c.Result, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !deepEqual(got, want) {
				t.Fatalf("result\n got: %s\nwant: %s", stableJSON(got), stableJSON(want))
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("specification: %d of %d cases passed", passed, len(cases))
	if passed != len(cases) {
		t.Errorf("specification: %d of %d cases failed", len(cases)-passed, len(cases))
	}
}
