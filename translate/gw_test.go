package translate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/schemas"
	"github.com/google/go-cmp/cmp"
)

// TestGenericWorkerPayloadKeysInSchema: every member GenericWorkerPayload
// can write is one generic-worker's payload schema defines at that place,
// so the one payload type of both targets never emits a key the worker
// rejects.
func TestGenericWorkerPayloadKeysInSchema(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(schemas.GenericWorkerPayloadSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	n := 0
	walkJSONKeys(reflect.TypeFor[GenericWorkerPayload](), "", func(path string) {
		n++
		if !schemaHasPath(schema, schema, strings.Split(strings.TrimPrefix(path, "/"), "/")) {
			t.Errorf("%s is not in generic-worker's payload schema", path)
		}
	})
	if n < 30 {
		t.Fatalf("walked only %d members", n)
	}
}

// walkJSONKeys calls fn with the path ("/mounts/content/sha256") of every
// JSON member of type typ; slices and pointers are looked through.
func walkJSONKeys(typ reflect.Type, path string, fn func(string)) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[TCTime]() {
		return
	}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fn(path + "/" + name)
		walkJSONKeys(f.Type, path+"/"+name, fn)
	}
}

// schemaHasPath says whether the schema node defines the member path,
// resolving local $refs, oneOf/anyOf branches and array items.
func schemaHasPath(root, node map[string]any, path []string) bool {
	if ref, ok := node["$ref"].(string); ok {
		def, _ := root["definitions"].(map[string]any)[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		return def != nil && schemaHasPath(root, def, path)
	}
	if len(path) == 0 {
		return true
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		branches, _ := node[k].([]any)
		for _, b := range branches {
			if bm, ok := b.(map[string]any); ok && schemaHasPath(root, bm, path) {
				return true
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		return schemaHasPath(root, items, path)
	}
	props, _ := node["properties"].(map[string]any)
	child, ok := props[path[0]].(map[string]any)
	return ok && schemaHasPath(root, child, path[1:])
}

// TestGenericWorkerPayloadRoundTrip: a payload with every member set
// encodes (both escapings) and decodes back, unknown members refused, to
// the same value: the hand-written encoder writes every member the type has.
func TestGenericWorkerPayloadRoundTrip(t *testing.T) {
	var p GenericWorkerPayload
	fillValue(reflect.ValueOf(&p).Elem())
	checkAppendJSON(t, &p)
	for _, raw := range [][]byte{p.AppendJSON(nil), p.AppendJSONNoEscape(nil)} {
		var back GenericWorkerPayload
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		if d := cmp.Diff(p, back, cmp.Transformer("time", func(t TCTime) string { return time.Time(t).String() })); d != "" {
			t.Errorf("round trip lost members (-want +got):\n%s", d)
		}
	}
}

// fillValue sets every field of v to a non-zero value.
func fillValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x<&>" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int64:
		v.SetInt(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillValue(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillValue(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(reflect.ValueOf("K"), reflect.ValueOf("V"))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[TCTime]() {
			v.Set(reflect.ValueOf(TCTime(time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC))))
			return
		}
		for i := range v.NumField() {
			fillValue(v.Field(i))
		}
	}
}
