package tcfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcauth"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcindex"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcpurgecache"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcworkermanager"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func claimReq() *tcqueue.ClaimWorkRequest {
	return &tcqueue.ClaimWorkRequest{Tasks: 1, WorkerGroup: workerGroup, WorkerID: workerID}
}

func TestHawkRejectsBadCredentials(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	bad := &tcclient.Credentials{ClientID: e.worker.ClientID, AccessToken: "not-the-token"}
	_, err := e.queue(bad).ClaimWork(queueID, claimReq())
	wantStatus(t, err, http.StatusUnauthorized, "wrong access token")
	if !strings.Contains(err.Error(), "AuthenticationFailed") {
		t.Fatalf("error body lacks the Taskcluster error code: %v", err)
	}
	_, err = e.queue(&tcclient.Credentials{ClientID: "nobody", AccessToken: "x"}).ClaimWork(queueID, claimReq())
	wantStatus(t, err, http.StatusUnauthorized, "unknown client")

	// Right credentials, wrong worker id: authenticated but not authorized.
	_, err = e.queue(e.worker).ClaimWork(queueID, &tcqueue.ClaimWorkRequest{Tasks: 1, WorkerGroup: workerGroup, WorkerID: "other"})
	wantStatus(t, err, http.StatusForbidden, "foreign worker id")
	_, err = e.queue(e.worker).ClaimWork("other/queue", claimReq())
	wantStatus(t, err, http.StatusForbidden, "foreign queue")
	// Anonymous callers have no scopes.
	_, err = tcqueue.New(nil, e.fake.RootURL()).ClaimWork(queueID, claimReq())
	wantStatus(t, err, http.StatusForbidden, "anonymous claim")
}

func TestTemporaryCredentials(t *testing.T) {
	e := newEnv(t, tcfake.Options{ClaimDuration: time.Minute})
	c1 := e.claimOne(t, "C1", nil)
	c2 := e.claimOne(t, "C2", nil)

	// Tampering with the certificate's scopes breaks its signature.
	var cert map[string]any
	if err := json.Unmarshal([]byte(c1.Credentials.Certificate), &cert); err != nil {
		t.Fatal(err)
	}
	cert["scopes"] = []string{"*"}
	forged, _ := json.Marshal(cert)
	bad := taskCreds(c1.Credentials)
	bad.Certificate = string(forged)
	_, err := e.queue(bad).ReportCompleted("C1", "0")
	wantStatus(t, err, http.StatusUnauthorized, "forged certificate")

	// Credentials of one task do not resolve another.
	_, err = e.queue(taskCreds(c2.Credentials)).ReportCompleted("C1", "0")
	wantStatus(t, err, http.StatusForbidden, "other task's credentials")

	// The worker's own credentials may act on runs it claimed.
	if _, err := e.queue(e.worker).ReclaimTask("C2", "0"); err != nil {
		t.Fatalf("reclaim with worker credentials: %v", err)
	}

	// Credentials expire at takenUntil + slack (5m), plus the auth service's
	// 5m of allowed clock skew.
	e.clock.Add(12 * time.Minute)
	_, err = e.queue(taskCreds(c1.Credentials)).Status("C1")
	wantStatus(t, err, http.StatusUnauthorized, "expired temporary credentials")

	// Temporary credentials made by client-go from permanent ones verify too.
	perm := &tcclient.Credentials{ClientID: "perm", AccessToken: "perm-token"}
	e.fake.AddClient(perm.ClientID, perm.AccessToken, "auth:*", "queue:get-artifact:*")
	e.clock.Add(-12 * time.Minute)
	for _, name := range []string{"", "perm/temp"} {
		tmp, err := perm.CreateNamedTemporaryCredentials(name, time.Hour, "auth:foo")
		if err != nil {
			t.Fatal(err)
		}
		auth := tcauth.New(tmp, e.fake.RootURL())
		got, err := auth.CurrentScopes()
		if err != nil || !reflect.DeepEqual(got.Scopes, []string{"auth:foo"}) {
			t.Fatalf("currentScopes(%q) = %+v %v", name, got, err)
		}
	}
	// A certificate granting more than its issuer holds is refused.
	tmp, _ := perm.CreateTemporaryCredentials(time.Hour, "queue:claim-work:*")
	_, err = tcauth.New(tmp, e.fake.RootURL()).CurrentScopes()
	wantStatus(t, err, http.StatusUnauthorized, "certificate beyond issuer scopes")
	// authorizedScopes restrict the credentials.
	restricted := *perm
	restricted.AuthorizedScopes = []string{"auth:bar"}
	got, err := tcauth.New(&restricted, e.fake.RootURL()).CurrentScopes()
	if err != nil || !reflect.DeepEqual(got.Scopes, []string{"auth:bar"}) {
		t.Fatalf("authorizedScopes: %+v %v", got, err)
	}
}

func TestIndexAndExpandScopes(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	e.fake.InsertIndex("project.x.images.latest", "IMGTASK")
	idx := tcindex.New(nil, e.fake.RootURL())
	it, err := idx.FindTask("project.x.images.latest")
	if err != nil || it.TaskID != "IMGTASK" || it.Namespace != "project.x.images.latest" {
		t.Fatalf("findTask = %+v %v", it, err)
	}
	_, err = idx.FindTask("project.x.nothing")
	wantStatus(t, err, http.StatusNotFound, "findTask of unknown namespace")

	e.fake.AddRole("worker-pool:proj/*", "queue:claim-work:proj/*", "assume:project:proj")
	e.fake.AddRole("project:proj", "secrets:get:proj/*", "queue:claim-work:proj/linux")
	e.fake.AddRole("repo:github.com/org/*", "assume:worker-pool:proj/linux")
	auth := tcauth.New(e.worker, e.fake.RootURL())
	got, err := auth.ExpandScopes(&tcauth.SetOfScopes{Scopes: []string{"assume:repo:github.com/org/x", "b:1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"assume:project:proj", "assume:repo:github.com/org/x", "assume:worker-pool:proj/linux",
		"b:1", "queue:claim-work:proj/*", "secrets:get:proj/*"}
	if !reflect.DeepEqual(got.Scopes, want) {
		t.Fatalf("expandScopes = %q\nwant %q", got.Scopes, want)
	}
}

func TestWorkerManagerAndPurgeCache(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	pool := "proj-dwshim/linux"
	wm := tcworkermanager.New(e.worker, e.fake.RootURL())
	wm.HTTPBackoffClient = fastRetry()
	if _, err := wm.ReportWorkerError(pool, &tcworkermanager.WorkerErrorReport{Kind: "worker-error", Title: "boom",
		Description: "it broke", WorkerGroup: workerGroup, WorkerID: workerID, Extra: json.RawMessage(`{"a":1}`)}); err != nil {
		t.Fatalf("reportWorkerError: %v", err)
	}
	if err := wm.RemoveWorker(pool, workerGroup, workerID); err != nil {
		t.Fatalf("removeWorker: %v", err)
	}
	if errs := e.fake.WorkerErrors(); len(errs) != 1 || errs[0].Title != "boom" || errs[0].WorkerPoolID != pool {
		t.Fatalf("worker errors = %+v", errs)
	}
	if rm := e.fake.RemovedWorkers(); len(rm) != 1 || rm[0] != pool+"/wg/w1" {
		t.Fatalf("removed = %v", rm)
	}
	// shouldWorkerTerminate is missing from client-go v44: call it by route.
	e.fake.SetShouldTerminate(true)
	cl := tcclient.Client{Credentials: e.worker, RootURL: e.fake.RootURL(), ServiceName: "worker-manager",
		APIVersion: "v1", Authenticate: true, HTTPBackoffClient: fastRetry()}
	var st struct {
		Terminate bool `json:"terminate"`
	}
	if _, _, err := cl.APICall(nil, "GET", "/workers/"+url.QueryEscape(pool)+"/wg/w1/should-terminate", &st, nil); err != nil || !st.Terminate {
		t.Fatalf("shouldWorkerTerminate = %+v %v", st, err)
	}

	since := time.Now().Add(-time.Minute)
	e.fake.AddPurgeRequest(pool, "my-cache")
	if _, err := tcpurgecache.New(nil, e.fake.RootURL()).PurgeRequests(pool, ""); err == nil {
		t.Fatal("anonymous purgeRequests answered; the service needs " + tcfake.PurgeRequestsScope(pool))
	}
	pc := tcpurgecache.New(e.worker, e.fake.RootURL())
	pc.HTTPBackoffClient = fastRetry()
	got, err := pc.PurgeRequests(pool, since.UTC().Format(time.RFC3339))
	if err != nil || len(got.Requests) != 1 || got.Requests[0].CacheName != "my-cache" {
		t.Fatalf("purgeRequests = %+v %v", got, err)
	}
	got, err = pc.PurgeRequests(pool, time.Now().Add(time.Minute).UTC().Format(time.RFC3339))
	if err != nil || len(got.Requests) != 0 {
		t.Fatalf("purgeRequests after = %+v %v", got, err)
	}
	// purgeCache needs purge-cache:<pool>:<cacheName>.
	if err := pc.PurgeCache(pool, &tcpurgecache.PurgeCacheRequest{CacheName: "other"}); err == nil {
		t.Fatal("purgeCache without its scope answered")
	}
	e.fake.AddClient("user/purger", "purger-token", "purge-cache:"+pool+":other")
	user := tcpurgecache.New(&tcclient.Credentials{ClientID: "user/purger", AccessToken: "purger-token"}, e.fake.RootURL())
	user.HTTPBackoffClient = fastRetry()
	if err := user.PurgeCache(pool, &tcpurgecache.PurgeCacheRequest{CacheName: "other"}); err != nil {
		t.Fatalf("purgeCache: %v", err)
	}
	if got, err = pc.PurgeRequests(pool, ""); err != nil || len(got.Requests) != 2 || got.Requests[1].CacheName != "other" {
		t.Fatalf("purgeRequests after purgeCache = %+v %v", got, err)
	}
}
