package tctemplate

import (
	"encoding/json"
	"testing"
)

// FuzzRender renders arbitrary documents as templates: no panic, tasks are
// JSON objects, and every Locate answer is a position or 0.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"version: 1\ntasks:\n  - payload: {image: '${event.ref}'}\n",
		"version: 1\ntasks:\n  $if: 'tasks_for == \"cron\"'\n  then: [{payload: {image: x}}]\n",
		"version: 0\ntasks:\n  - payload: {image: '{{ event.head.sha }}'}\n    extra: {github: {events: [push], env: true}}\n",
		`{"task": {"payload": {"image": {"$eval": "payload.x"}}}, "triggerSchema": {"properties": {"x": {"enum": ["a"]}}}}`,
		"version: 1\ntasks: {$map: [1, 2], 'each(x)': {payload: {maxRunTime: {$eval: x}}}}\n",
		"version: 1\ntasks: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		_ = Detect(data)
		res, err := Render(data, Options{Now: testNow})
		if err != nil {
			return
		}
		for _, tk := range res.Tasks {
			var m map[string]any
			if json.Unmarshal(tk.Raw, &m) != nil {
				t.Fatalf("task is not a JSON object: %s", tk.Raw)
			}
			if l, c, _ := tk.Locate("/payload/image"); l < 0 || c < 0 {
				t.Fatalf("Locate = %d, %d", l, c)
			}
		}
	})
}
