package translate

import (
	"errors"
	"strings"
	"testing"
)

func TestCacheScopesDockerWorkerRule(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":1,"cache":{"level-3-checkouts":"/c","other":"/d"}}`)
	q := "proj/wt"
	for _, tc := range []struct {
		name    string
		scopes  []string
		missing []string // caches
	}{
		{"none", nil, []string{"level-3-checkouts", "other"}},
		{"exact", []string{"docker-worker:cache:level-3-checkouts", "docker-worker:cache:other"}, nil},
		{"star", []string{"docker-worker:cache:*"}, nil},
		{"prefix star", []string{"docker-worker:cache:level-3-*"}, []string{"other"}},
		{"pool qualified", []string{"docker-worker:cache:level-3-checkouts:proj/wt"}, []string{"other"}},
		{"other pool", []string{"docker-worker:cache:level-3-checkouts:proj/other"}, []string{"level-3-checkouts", "other"}},
		{"generic-worker form", []string{"generic-worker:cache:level-3-checkouts", "generic-worker:cache:*"}, nil},
		{"root star", []string{"*"}, nil},
		{"star mid-scope is literal", []string{"docker-worker:cache:*-checkouts"}, []string{"level-3-checkouts", "other"}},
		{"a prefix is not a grant", []string{"docker-worker:cache:level-3"}, []string{"level-3-checkouts", "other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verdict(p, OfflineConfig(), &Scopes{TaskQueueID: q, Expanded: tc.scopes}, "/payload")
			var got []string
			if err != nil {
				var te *Error
				if !errors.As(err, &te) || te.Reason != MalformedPayload {
					t.Fatalf("want malformed-payload *Error, got %v", err)
				}
				for _, pr := range te.Problems {
					name := strings.TrimPrefix(pr.Pointer, "/payload/cache/")
					if name == pr.Pointer {
						t.Fatalf("unexpected problem %s", pr)
					}
					if !strings.Contains(pr.Message, "docker-worker:cache:"+name+" ") || !strings.Contains(pr.Message, `"`+name+`"`) {
						t.Errorf("message does not name the cache and scope: %s", pr)
					}
					got = append(got, name)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("missing caches %v, want %v", got, tc.missing)
			}
		})
	}
}

func TestPoolQualifiedCacheScopeWarns(t *testing.T) {
	def := `{"taskQueueId":"proj/wt","scopes":["docker-worker:cache:c:proj/wt"],"payload":{"image":"ubuntu","maxRunTime":1,"cache":{"c":"/c"}}}`
	tr, err := TranslateTask([]byte(def), OfflineConfig(), TaskOptions{})
	if err != nil {
		t.Fatalf("pool-qualified scope refused: %v", err)
	}
	found := false
	for _, w := range tr.Warnings {
		found = found || w.Pointer == "/payload/cache/c" && w.Code == WarnPoolCacheScope
	}
	if !found {
		t.Errorf("no warning about the d2g target: %v", tr.Warnings)
	}
}

func TestTranslateTaskChecksScopesWithoutKey(t *testing.T) {
	// The queue gives a task without scopes [], and the worker checks
	// those: so does every command (upstream's offline CLI skips it).
	def := `{"taskQueueId":"proj/wt","payload":{"image":"ubuntu","maxRunTime":1,"cache":{"c":"/c"}}}`
	_, err := TranslateTask([]byte(def), OfflineConfig(), TaskOptions{})
	var te *Error
	if !errors.As(err, &te) || len(te.Problems) != 1 || te.Problems[0].Pointer != "/payload/cache/c" {
		t.Fatalf("no scopes key: want the cache refused, got %v", err)
	}
	tr, err := TranslateTask([]byte(`{"taskQueueId":"proj/wt","payload":{"image":"ubuntu","maxRunTime":1}}`), OfflineConfig(), TaskOptions{})
	if err != nil || tr.HasScopes || !hasWarning(tr.Warnings, "/scopes") {
		t.Fatalf("no scopes key, nothing needed: %v %+v", err, tr)
	}
}

func TestRefusalsNameFieldAndKey(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true,"disableSeccomp":true,
		"devices":{"kvm":true,"hostSharedMemory":true,"loopbackAudio":true,"loopbackVideo":true}},
		"features":{"allowPtrace":true,"chainOfTrust":true,"interactive":true,"taskclusterProxy":true}}`)
	if r := Refusals(p, DefaultConfig()); len(r) != 0 {
		t.Fatalf("defaults refuse %v", r)
	}
	err := Verdict(p, Config{}, nil, "/payload")
	var te *Error
	if !errors.As(err, &te) || te.Reason != MalformedPayload || len(te.Problems) != 10 {
		t.Fatalf("want 10 refusals, got %v", err)
	}
	want := map[string]string{
		"/payload/capabilities/privileged":               "allowPrivileged",
		"/payload/capabilities/disableSeccomp":           "allowDisableSeccomp",
		"/payload/capabilities/devices/kvm":              "allowKVM",
		"/payload/capabilities/devices/hostSharedMemory": "allowHostSharedMemory",
		"/payload/capabilities/devices/loopbackAudio":    "allowLoopbackAudio",
		"/payload/capabilities/devices/loopbackVideo":    "allowLoopbackVideo",
		"/payload/features/allowPtrace":                  "allowPtrace",
		"/payload/features/chainOfTrust":                 "allowChainOfTrust",
		"/payload/features/interactive":                  "allowInteractive",
		"/payload/features/taskclusterProxy":             "allowTaskclusterProxy",
	}
	for _, pr := range te.Problems {
		key, ok := want[pr.Pointer]
		field := strings.ReplaceAll(strings.TrimPrefix(pr.Pointer, "/payload/"), "/", ".")
		if !ok || !strings.Contains(pr.Message, "d2gConfig."+key) || !strings.HasPrefix(pr.Message, field+" ") {
			t.Errorf("problem %s does not name %s and d2gConfig.%s", pr, field, key)
		}
	}
	// The d2g target itself still drops silently, as upstream.
	res, err := TranslatePayload(p, Config{})
	if err != nil || res.Plan.Capabilities.Privileged {
		t.Fatalf("TranslatePayload: %v %+v", err, res.Plan.Capabilities)
	}
}

func TestTranslateTaskRefusesBeforeScopes(t *testing.T) {
	def := `{"taskQueueId":"proj/wt","scopes":[],"payload":{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true},"cache":{"c":"/c"}}}`
	cfg := OfflineConfig()
	cfg.AllowPrivileged = false
	_, err := TranslateTask([]byte(def), cfg, TaskOptions{})
	var te *Error
	if !errors.As(err, &te) || len(te.Problems) != 3 {
		t.Fatalf("want refusal + capability scopes + cache scope, got %v", err)
	}
	for i, ptr := range []string{"/payload/capabilities/privileged", "/scopes", "/payload/cache/c"} {
		if te.Problems[i].Pointer != ptr {
			t.Errorf("problem %d at %s, want %s", i, te.Problems[i].Pointer, ptr)
		}
	}
}
