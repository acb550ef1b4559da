package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/translate"
	"github.com/dwshim/dwshim/worker"
)

// workerKeys are the keys a worker needs beside the pool's settings.
const workerKeys = `"rootURL": "https://tc.example.com", "clientId": "c", "accessToken": "t",
	"workerType": "wt", "workerId": "w1", "enableChainOfTrust": false`

// d2gConfigs are the d2gConfig and maxTaskRunTime each command derives
// from a --config file (the worker: from its own config file).
func d2gConfigs(t *testing.T, file string) (map[string]translate.Config, map[string]error, map[string]int64) {
	t.Helper()
	cfgs, errs, maxRun := map[string]translate.Config{}, map[string]error{}, map[string]int64{}
	if c, _, err := loadConfig(file); err != nil {
		errs["convert"] = err
	} else {
		cfgs["convert"] = c
	}
	if c, _, err := loadD2GConfig(file); err != nil {
		errs["local"] = err
	} else {
		cfgs["local"] = c
	}
	if o, _, err := lintConfig(file); err != nil {
		errs["lint"] = err
	} else {
		cfgs["lint"], maxRun["lint"] = o.Config, o.MaxTaskRunTime
	}
	if c, err := worker.LoadConfig(file); err != nil {
		errs["worker"] = err
	} else {
		cfgs["worker"], maxRun["worker"] = c.D2GConfig, int64(c.MaxTaskRunTime)
	}
	return cfgs, errs, maxRun
}

// TestCommandsReadConfigAlike: convert, local, lint and the worker read
// one config file into the same d2gConfig and maxTaskRunTime, and refuse
// the same files, each naming the file and the key. (local always enables
// d2g: it runs the task through it.)
func TestCommandsReadConfigAlike(t *testing.T) {
	good := map[string]string{
		"pool settings": `{` + workerKeys + `, "maxTaskRunTime": 7200, "deploymentId": "d1",
			"d2gConfig": {"enableD2G": true, "allowPrivileged": false, "allowKVM": false, "gpus": "device=0"}}`,
		"d2g off": `{` + workerKeys + `, "d2gConfig": {"enableD2G": false, "allowPtrace": false}}`,
		"worker-manager document": `{"genericWorker": {"config": {` + workerKeys + `,
			"maxTaskRunTime": 600, "d2gConfig": {"enableD2G": true, "allowLoopbackAudio": false}}}}`,
	}
	dir := t.TempDir()
	for name, doc := range good {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			cfgs, errs, maxRun := d2gConfigs(t, f)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			want := cfgs["worker"]
			if !cfgs["local"].EnableD2G {
				t.Error("local: enableD2G not set")
			}
			local := cfgs["local"]
			local.EnableD2G = want.EnableD2G
			cfgs["local"] = local
			for cmd, c := range cfgs {
				if !reflect.DeepEqual(c, want) {
					t.Errorf("%s reads\n %+v\nthe worker\n %+v", cmd, c, want)
				}
			}
			if maxRun["lint"] != maxRun["worker"] {
				t.Errorf("maxTaskRunTime: lint %d, worker %d", maxRun["lint"], maxRun["worker"])
			}
		})
	}
	bad := map[string]struct{ doc, key string }{
		"misspelt allow-flag": {`{` + workerKeys + `, "d2gConfig": {"allowPrivilged": false}}`, "d2gConfig.allowPrivilged"},
		"wrong type":          {`{` + workerKeys + `, "d2gConfig": {"allowKVM": "no"}}`, "d2gConfig.allowKVM"},
		"maxTaskRunTime 0":    {`{` + workerKeys + `, "maxTaskRunTime": 0}`, "maxTaskRunTime"},
		"case":                {`{` + workerKeys + `, "D2GConfig": {}}`, "D2GConfig"},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if err := os.WriteFile(f, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errs, _ := d2gConfigs(t, f)
			for _, cmd := range []string{"convert", "local", "lint", "worker"} {
				err := errs[cmd]
				if err == nil || !strings.Contains(err.Error(), "config "+f+`: key "`+tt.key+`"`) {
					t.Errorf("%s: %v, want an error naming %s and key %s", cmd, err, f, tt.key)
				}
			}
		})
	}
}
