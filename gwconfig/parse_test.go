package gwconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/translate"
)

func TestParse(t *testing.T) {
	d2g := func(edit func(c *translate.Config)) translate.Config {
		c := translate.DefaultConfig()
		edit(&c)
		return c
	}
	tests := []struct {
		name    string
		in      string
		wantD2G translate.Config
		check   func(t *testing.T, c *Config)
		wantKey string // an error naming this key
		wantErr string // and containing this
	}{
		{name: "defaults", in: `{}`, wantD2G: translate.DefaultConfig(), check: func(t *testing.T, c *Config) {
			if c.MaxTaskRunTime != 86400 || c.Capacity != 1 || !c.EnableMounts || c.EnableInteractive || len(c.Unknown()) != 0 || c.IsSet("d2gConfig") {
				t.Errorf("config %+v unknown %v", c, c.Unknown())
			}
		}},
		{name: "d2gConfig merged key by key", in: `{"d2gConfig": {"enableD2G": true, "allowPrivileged": false, "gpus": "device=0"}, "maxTaskRunTime": 7200}`,
			wantD2G: d2g(func(c *translate.Config) { c.EnableD2G, c.AllowPrivileged, c.GPUs = true, false, "device=0" }),
			check: func(t *testing.T, c *Config) {
				if c.MaxTaskRunTime != 7200 || !c.IsSet("d2gConfig") || !c.IsSet("maxTaskRunTime") || c.IsSet("capacity") {
					t.Errorf("config %+v", c)
				}
			}},
		{name: "enableD2G false", in: `{"d2gConfig": {"enableD2G": false}, "enableMounts": false}`,
			wantD2G: translate.DefaultConfig(), check: func(t *testing.T, c *Config) {
				if c.EnableMounts || !c.IsSet("enableMounts") {
					t.Errorf("enableMounts %v set %v", c.EnableMounts, c.IsSet("enableMounts"))
				}
			}},
		{name: "null d2gConfig keeps the defaults", in: `{"d2gConfig": null}`, wantD2G: translate.DefaultConfig()},
		{name: "unknown top-level keys listed, sorted", in: `{"zeta": 1, "deploymentId": "x", "livelogExecutable": "/l"}`,
			wantD2G: translate.DefaultConfig(), check: func(t *testing.T, c *Config) {
				if got := strings.Join(c.Unknown(), ","); got != "deploymentId,livelogExecutable,zeta" {
					t.Errorf("Unknown() = %s", got)
				}
			}},
		{name: "unknown d2gConfig key", in: `{"d2gConfig": {"allowPrivilged": false}}`,
			wantKey: "d2gConfig.allowPrivilged", wantErr: "not a d2gConfig key (generic-worker refuses it too); the keys are allowChainOfTrust,"},
		{name: "removed d2gConfig key", in: `{"d2gConfig": {"containerEngine": "docker"}}`,
			wantKey: "d2gConfig.containerEngine", wantErr: "removed in generic-worker v80"},
		{name: "d2gConfig key in another case", in: `{"d2gConfig": {"EnableD2G": true}}`,
			wantKey: "d2gConfig.EnableD2G", wantErr: `did you mean "enableD2G"? config keys are case-sensitive`},
		{name: "top-level key in another case", in: `{"MaxTaskRunTime": 5}`,
			wantKey: "MaxTaskRunTime", wantErr: `did you mean "maxTaskRunTime"?`},
		{name: "bad type in d2gConfig", in: `{"d2gConfig": {"allowKVM": "yes"}}`,
			wantKey: "d2gConfig.allowKVM", wantErr: "expected true or false, got JSON string"},
		{name: "bad type at the top", in: `{"capacity": "two"}`, wantKey: "capacity", wantErr: "expected an integer, got JSON string"},
		{name: "d2gConfig not an object", in: `{"d2gConfig": []}`, wantKey: "d2gConfig", wantErr: "expected an object, got JSON array"},
		{name: "maxTaskRunTime 0", in: `{"maxTaskRunTime": 0}`, wantKey: "maxTaskRunTime", wantErr: "must be at least 1"},
		{name: "maxTaskRunTime negative", in: `{"maxTaskRunTime": -5}`, wantKey: "maxTaskRunTime", wantErr: "must be at least 1"},
		{name: "worker-manager genericWorker.config", in: `{"genericWorker": {"config": {"d2gConfig": {"allowKVM": false}}}}`,
			wantD2G: d2g(func(c *translate.Config) { c.AllowKVM = false })},
		{name: "worker-manager config", in: `{"config": {"maxTaskRunTime": 60}, "description": "pool"}`,
			wantD2G: translate.DefaultConfig(), check: func(t *testing.T, c *Config) {
				if c.MaxTaskRunTime != 60 {
					t.Errorf("maxTaskRunTime %d", c.MaxTaskRunTime)
				}
			}},
		{name: "wrapped config errors name the full key", in: `{"genericWorker": {"config": {"d2gConfig": {"x": 1}}}}`,
			wantKey: "genericWorker.config.d2gConfig.x", wantErr: "not a d2gConfig key"},
		{name: "a config key at the top: no unwrapping", in: `{"capacity": 2, "config": {"capacity": 3}}`,
			wantD2G: translate.DefaultConfig(), check: func(t *testing.T, c *Config) {
				if c.Capacity != 2 || strings.Join(c.Unknown(), ",") != "config" {
					t.Errorf("capacity %d unknown %v", c.Capacity, c.Unknown())
				}
			}},
		{name: "not JSON", in: "{\n  capacity: 2}", wantErr: "not JSON (line 2, column 3)"},
		{name: "not an object", in: `[1]`, wantErr: "not a JSON object"},
		{name: "null", in: `null`, wantErr: "not a JSON object"},
		{name: "trailing data", in: `{} {}`, wantErr: "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *Error", err)
				}
				if ce.Key != tt.wantKey || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %q (key %q), want key %q and %q", err, ce.Key, tt.wantKey, tt.wantErr)
				}
				if tt.wantKey != "" && !strings.Contains(err.Error(), `key "`+tt.wantKey+`"`) {
					t.Errorf("err = %q does not name the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(c.D2GConfig, tt.wantD2G) {
				t.Errorf("d2gConfig\n got %+v\nwant %+v", c.D2GConfig, tt.wantD2G)
			}
			if tt.check != nil {
				tt.check(t, &c)
			}
		})
	}
}

// TestLoad: errors name the file (and the key).
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "config "+missing+": cannot read it") {
		t.Errorf("missing: %v", err)
	}
	p := filepath.Join(dir, "gw.yaml") // worker-runner writes JSON even to .yaml paths
	if err := os.WriteFile(p, []byte(`{"d2gConfig": {"allowKVM": 1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || err.Error() != `config `+p+`: key "d2gConfig.allowKVM": expected true or false, got JSON number` {
		t.Errorf("bad key: %v", err)
	}
	if err := os.WriteFile(p, []byte(`{"workerId": "w1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(p); err != nil || c.WorkerID != "w1" {
		t.Errorf("Load = %+v, %v", c, err)
	}
}
