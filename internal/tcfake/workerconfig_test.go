package tcfake

import (
	"encoding/json"
	"testing"

	"github.com/dwshim/dwshim/gwconfig"
)

// TestWorkerConfig: the config reads back as a valid generic-worker
// config for the fake, and the fake knows its client.
func TestWorkerConfig(t *testing.T) {
	s := New(Options{})
	s.Start()
	defer s.Close()
	b, err := json.Marshal(s.WorkerConfig("prov/wt", "grp", "w1", "tok", "/tmp/x"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := gwconfig.Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.TaskQueueID() != "prov/wt" || c.RootURL != s.RootURL() || c.ClientID != "worker/w1" || !c.D2GConfig.EnableD2G ||
		c.EnableChainOfTrust || c.TasksDir != "/tmp/x/tasks" || len(c.Unknown()) != 0 {
		t.Errorf("config %+v", c)
	}
	s.mu.Lock()
	cl := s.clients["worker/w1"]
	s.mu.Unlock()
	if cl == nil || cl.token != "tok" || len(cl.scopes) != len(WorkerScopes("prov/wt", "grp", "w1")) {
		t.Errorf("client %+v", cl)
	}
}
