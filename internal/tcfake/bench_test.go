package tcfake_test

import (
	"fmt"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// BenchmarkClaimReclaimResolve measures one task life cycle through client-go:
// claimWork, reclaimTask and reportCompleted, each Hawk-signed and verified
// (temporary credentials after the claim).
func BenchmarkClaimReclaimResolve(b *testing.B) {
	f := tcfake.New(tcfake.Options{Seed: 1})
	f.Start()
	defer f.Close()
	e := &env{fake: f}
	e.worker = workerCreds()
	f.AddClient(e.worker.ClientID, e.worker.AccessToken, tcfake.WorkerScopes(queueID, workerGroup, workerID)...)
	q := e.queue(e.worker)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("B%d", i)
		if err := f.AddTask(id, tcfake.MinimalTask(queueID, nil)); err != nil {
			b.Fatal(err)
		}
		resp, err := q.ClaimWork(queueID, claimReq())
		if err != nil || len(resp.Tasks) != 1 {
			b.Fatalf("claim: %v", err)
		}
		tq := e.queue(taskCreds(resp.Tasks[0].Credentials))
		if _, err := tq.ReclaimTask(id, "0"); err != nil {
			b.Fatal(err)
		}
		if _, err := tq.ReportCompleted(id, "0"); err != nil {
			b.Fatal(err)
		}
	}
}
