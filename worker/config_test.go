package worker

import (
	"github.com/dwshim/dwshim/plan"

	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimalConfig = `{"rootURL":"https://tc.example.com","clientId":"c","accessToken":"t",
"workerType":"wt","workerId":"w1","ed25519SigningKeyLocation":"/k"}`

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantCode ExitCode // 0: no error
		wantErr  string
		check    func(t *testing.T, c Config)
	}{
		{name: "defaults", in: minimalConfig, check: func(t *testing.T, c Config) {
			if c.Capacity != 1 || c.MaxTaskRunTime != 86400 || c.IdleTimeoutSecs != 0 || c.NumberOfTasksToRun != 0 {
				t.Errorf("numbers: %+v", c)
			}
			if c.ProvisionerID != "test-provisioner" || c.WorkerGroup != "test-worker-group" || c.CachesDir != "caches" || c.DownloadsDir != "downloads" {
				t.Errorf("strings: %+v", c)
			}
			if !c.EnableLiveLog || !c.EnableChainOfTrust || !c.EnableTaskclusterProxy || c.TaskclusterProxyPort != 80 || c.CreateObjectArtifacts {
				t.Errorf("features: %+v", c)
			}
			if c.D2GConfig.EnableD2G || !c.D2GConfig.AllowPrivileged || c.D2GConfig.GPUs != "all" {
				t.Errorf("d2gConfig: %+v", c.D2GConfig)
			}
			if string(c.WorkerTypeMetadata) != "{}" || c.TaskQueueID() != "test-provisioner/wt" {
				t.Errorf("metadata %s queue %s", c.WorkerTypeMetadata, c.TaskQueueID())
			}
		}},
		{name: "limits off by default", in: minimalConfig, check: func(t *testing.T, c Config) {
			if c.Limits() != (plan.Limits{}) {
				t.Errorf("limits %+v", c.Limits())
			}
		}},
		{name: "limits", in: strings.TrimSuffix(minimalConfig, "}") + `,"taskMemoryLimitBytes":1073741824,"taskPidsLimit":512}`, check: func(t *testing.T, c Config) {
			if c.Limits() != (plan.Limits{MemoryBytes: 1 << 30, Pids: 512}) {
				t.Errorf("limits %+v", c.Limits())
			}
		}},
		{name: "limits invalid", in: strings.TrimSuffix(minimalConfig, "}") + `,"taskMemoryLimitBytes":1000,"taskPidsLimit":-1}`,
			wantCode: ExitInvalidConfig, wantErr: "taskMemoryLimitBytes 1000 must be 0 (no limit) or at least 6291456"},
		{name: "d2gConfig partial merge and unknown keys", in: strings.TrimSuffix(minimalConfig, "}") +
			`,"d2gConfig":{"enableD2G":true,"allowPrivileged":false},"deploymentId":"x","wstAudience":"a","capacity":3,"workerTypeMetadata":{"a":1}}`,
			check: func(t *testing.T, c Config) {
				d := c.D2GConfig
				if !d.EnableD2G || d.AllowPrivileged || !d.AllowPtrace || d.GPUs != "all" {
					t.Errorf("d2gConfig: %+v", d)
				}
				if c.Capacity != 3 || string(c.WorkerTypeMetadata) != `{"a":1}` {
					t.Errorf("config: %+v", c)
				}
			}},
		{name: "missing keys listed", in: `{"capacity":1}`, wantCode: ExitInvalidConfig,
			wantErr: "missing required keys: accessToken, clientId, ed25519SigningKeyLocation, rootURL, workerId, workerType"},
		{name: "no key needed without chain of trust", in: `{"rootURL":"https://x","clientId":"c","accessToken":"t","workerType":"wt","workerId":"w","enableChainOfTrust":false}`},
		{name: "capacity too big", in: strings.TrimSuffix(minimalConfig, "}") + `,"capacity":256}`, wantCode: ExitInvalidConfig, wantErr: "capacity 256 is outside 1..255"},
		{name: "capacity zero", in: strings.TrimSuffix(minimalConfig, "}") + `,"capacity":0}`, wantCode: ExitInvalidConfig, wantErr: "capacity 0"},
		{name: "bad ip", in: strings.TrimSuffix(minimalConfig, "}") + `,"publicIP":"nope"}`, wantCode: ExitInvalidConfig, wantErr: `publicIP "nope"`},
		{name: "bad root url", in: strings.Replace(minimalConfig, "https://tc.example.com", "tc.example.com", 1), wantCode: ExitInvalidConfig, wantErr: "rootURL"},
		{name: "wrong type", in: strings.TrimSuffix(minimalConfig, "}") + `,"capacity":"two"}`, wantCode: ExitCantLoadConfig, wantErr: `key "capacity"`},
		{name: "not json", in: `capacity: 2`, wantCode: ExitCantLoadConfig, wantErr: "not JSON (line 1, column 1)"},
		{name: "not an object", in: `[1]`, wantCode: ExitCantLoadConfig, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.in))
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Code != tt.wantCode {
				t.Fatalf("err = %v, want ConfigError code %d", err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file: no error")
	} else if ce := (*ConfigError)(nil); !errors.As(err, &ce) || ce.Code != ExitCantLoadConfig || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(dir, "gw.yaml") // worker-runner writes JSON even to .yaml paths
	if err := os.WriteFile(p, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil || c.WorkerID != "w1" {
		t.Fatalf("LoadConfig = %+v, %v", c, err)
	}
	if err := os.WriteFile(p, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("invalid: %v", err)
	}
}
