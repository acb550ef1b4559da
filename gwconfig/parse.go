package gwconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/dwshim/dwshim/translate"
)

// DefaultMaxTaskRunTime is generic-worker's default maxTaskRunTime (s).
const DefaultMaxTaskRunTime = 86400

// Error is a config that cannot be used: the file (when known), the key to
// blame (dotted, e.g. "d2gConfig.allowKVM"; "" for the whole document) and
// what is wrong.
type Error struct {
	Path string
	Key  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": key %q", e.Key)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads the config file at path (Parse); errors name the file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, &Error{Path: path, Err: fmt.Errorf("cannot read it: %w", err)}
	}
	c, err := Parse(b)
	var ce *Error
	if errors.As(err, &ce) {
		ce.Path = path
	}
	return c, err
}

// Parse reads a generic-worker config document over Default, as
// generic-worker does: a partial d2gConfig is merged key by key over its
// defaults, and a value of the wrong type is an error naming its key.
//
// Keys, as generic-worker, with two choices of our own:
//   - inside d2gConfig an unknown key is an error (generic-worker decodes it
//     into a struct with unknown fields disallowed): a misspelt allow-flag
//     must not silently keep its default;
//   - at the top level an unknown key is accepted and listed by Unknown
//     (worker-runner and deployments add their own, e.g. deploymentId, and
//     generic-worker keys dwshim does not use are not in Config).
//
// Names are case-sensitive: a key that differs from a config key only in
// case is an error (encoding/json would apply it quietly). A worker-manager
// document with no config key at its top level but the config under
// genericWorker.config or config is read from there. maxTaskRunTime must be
// at least 1 (0 would refuse every task).
func Parse(b []byte) (Config, error) {
	return parse(b, "")
}

func parse(b []byte, prefix string) (Config, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return Config{}, &Error{Key: strings.TrimSuffix(prefix, "."), Err: notObject(b, err)}
	}
	if inner, key, ok := wrapped(top); ok && !hasKnownKey(top) {
		return parse(inner, prefix+key+".")
	}
	cfg := Default()
	if err := json.Unmarshal(b, &cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Config{}, &Error{Key: prefix + te.Field, Err: fmt.Errorf("expected %s, got JSON %s", jsonKind(te.Type), te.Value)}
		}
		return Config{}, &Error{Key: strings.TrimSuffix(prefix, "."), Err: err}
	}
	names := make([]string, 0, len(top))
	for k := range top {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !keys.top[k] {
			if err := caseMismatch(k, keys.top); err != nil {
				return Config{}, &Error{Key: prefix + k, Err: err}
			}
			cfg.unknown = append(cfg.unknown, k)
		}
	}
	if err := checkD2GKeys(top["d2gConfig"], prefix); err != nil {
		return Config{}, err
	}
	if cfg.MaxTaskRunTime < 1 {
		return Config{}, &Error{Key: prefix + "maxTaskRunTime", Err: fmt.Errorf("%d: must be at least 1 (seconds); 0 would refuse every task", cfg.MaxTaskRunTime)}
	}
	if len(cfg.WorkerTypeMetadata) == 0 || string(cfg.WorkerTypeMetadata) == "null" {
		cfg.WorkerTypeMetadata = json.RawMessage(`{}`)
	}
	cfg.set = make(map[string]bool, len(top))
	for k := range top {
		cfg.set[k] = true
	}
	return cfg, nil
}

// removedD2GKeys are d2gConfig keys generic-worker had and dropped.
var removedD2GKeys = map[string]string{
	"containerEngine": "d2gConfig.containerEngine was removed in generic-worker v80, when podman support was dropped: delete it",
}

// checkD2GKeys rejects the first unknown d2gConfig key (sorted).
func checkD2GKeys(raw json.RawMessage, prefix string) error {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil { // a type error was reported already
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if keys.d2g[k] {
			continue
		}
		err := caseMismatch(k, keys.d2g)
		if why, ok := removedD2GKeys[k]; ok {
			err = errors.New(why)
		} else if err == nil {
			err = fmt.Errorf("not a d2gConfig key (generic-worker refuses it too); the keys are %s", strings.Join(sortedKeys(keys.d2g), ", "))
		}
		return &Error{Key: prefix + "d2gConfig." + k, Err: err}
	}
	return nil
}

// caseMismatch is an error when k is a known key in another case.
func caseMismatch(k string, known map[string]bool) error {
	for n := range known {
		if strings.EqualFold(k, n) {
			return fmt.Errorf("did you mean %q? config keys are case-sensitive", n)
		}
	}
	return nil
}

// wrapped finds the config inside a worker-manager document.
func wrapped(top map[string]json.RawMessage) (json.RawMessage, string, bool) {
	if gw, ok := top["genericWorker"]; ok {
		var w struct {
			Config json.RawMessage `json:"config"`
		}
		if json.Unmarshal(gw, &w) == nil && isObject(w.Config) {
			return w.Config, "genericWorker.config", true
		}
	}
	if c, ok := top["config"]; ok && isObject(c) {
		return c, "config", true
	}
	return nil, "", false
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func hasKnownKey(top map[string]json.RawMessage) bool {
	for k := range top {
		if keys.top[k] {
			return true
		}
	}
	return false
}

// notObject says why b is not a JSON object, with the line and column of
// a syntax error.
func notObject(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, c := range b[:min(max(int(se.Offset)-1, 0), len(b))] { // the offset is past the bad byte
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Errorf("not JSON (line %d, column %d): %w", line, col, err)
	}
	if err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	return errors.New("not a JSON object")
}

// jsonKind names a Go type's JSON kind for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return "JSON"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// keys are the JSON names of Config and of translate.Config (d2gConfig).
var keys = struct{ top, d2g map[string]bool }{jsonNames(reflect.TypeFor[Config]()), jsonNames(reflect.TypeFor[translate.Config]())}

func jsonNames(t reflect.Type) map[string]bool {
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
