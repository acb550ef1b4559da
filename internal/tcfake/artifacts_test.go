package tcfake_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcobject"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func postArtifact(t *testing.T, q *tcqueue.Queue, taskID, name string, req any) (json.RawMessage, error) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	pr := tcqueue.PostArtifactRequest(b)
	resp, err := q.CreateArtifact(taskID, "0", name, &pr)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(*resp), nil
}

func put(t *testing.T, url, contentType, encoding string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestS3ErrorReferenceLinkArtifacts(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	claim := e.claimOne(t, "A1", nil)
	q := e.queue(taskCreds(claim.Credentials))
	exp := tcclient.Time(e.clock.Now().Add(time.Hour))

	raw, err := postArtifact(t, q, "A1", "public/logs/live_backing.log",
		tcqueue.S3ArtifactRequest{StorageType: "s3", ContentType: "text/plain; charset=utf-8", Expires: exp})
	if err != nil {
		t.Fatalf("createArtifact s3: %v", err)
	}
	var s3 tcqueue.S3ArtifactResponse
	if err := json.Unmarshal(raw, &s3); err != nil || !strings.HasPrefix(s3.PutURL, e.fake.RootURL()+"/s3/") {
		t.Fatalf("s3 response %s: %v", raw, err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, "hello log\n")
	_ = zw.Close()
	if code := put(t, s3.PutURL, "text/html", "gzip", gz.Bytes()); code != http.StatusForbidden {
		t.Fatalf("PUT with wrong Content-Type: %d, want 403", code)
	}
	if code := put(t, s3.PutURL, "text/plain; charset=utf-8", "gzip", gz.Bytes()); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}

	if _, err := postArtifact(t, q, "A1", "public/missing", tcqueue.ErrorArtifactRequest{
		StorageType: "error", Reason: "file-missing-on-worker", Message: "no such file", Expires: exp}); err != nil {
		t.Fatalf("error artifact: %v", err)
	}
	if _, err := postArtifact(t, q, "A1", "public/logs/live.log", tcqueue.RedirectArtifactRequest{
		StorageType: "reference", URL: "http://127.0.0.1:1/log", ContentType: "text/plain", Expires: exp}); err != nil {
		t.Fatalf("reference artifact: %v", err)
	}
	// live.log is re-pointed from reference to link at the end of a task.
	if _, err := postArtifact(t, q, "A1", "public/logs/live.log", tcqueue.LinkArtifactRequest{
		StorageType: "link", Artifact: "public/logs/live_backing.log", Expires: exp}); err != nil {
		t.Fatalf("link artifact: %v", err)
	}
	_, err = postArtifact(t, q, "A1", "public/missing", tcqueue.S3ArtifactRequest{StorageType: "s3", ContentType: "text/plain", Expires: exp})
	wantStatus(t, err, http.StatusConflict, "error→s3 overwrite")
	_, err = postArtifact(t, q, "A1", "public/late", tcqueue.S3ArtifactRequest{StorageType: "s3", ContentType: "text/plain",
		Expires: tcclient.Time(e.clock.Now().AddDate(5, 0, 0))})
	wantStatus(t, err, http.StatusBadRequest, "artifact expiring after task")

	if _, err := q.ReportCompleted("A1", "0"); err != nil {
		t.Fatal(err)
	}
	_, err = postArtifact(t, q, "A1", "public/after", tcqueue.S3ArtifactRequest{StorageType: "s3", ContentType: "text/plain", Expires: exp})
	wantStatus(t, err, http.StatusConflict, "artifact after completion")

	// Anyone can download public artifacts through client-go; the link is followed
	// and the gzip encoding undone by the HTTP client.
	anon := tcqueue.New(nil, e.fake.RootURL())
	anon.HTTPBackoffClient = fastRetry()
	buf, ct, _, err := anon.DownloadArtifactToBuf("A1", -1, "public/logs/live.log")
	if err != nil || string(buf) != "hello log\n" || ct != "text/plain; charset=utf-8" {
		t.Fatalf("download = %q %q %v", buf, ct, err)
	}
	gar, err := anon.GetLatestArtifact("A1", "public/logs/live_backing.log")
	if err != nil || gar.StorageType != "s3" {
		t.Fatalf("getLatestArtifact = %+v %v", gar, err)
	}
	_, _, _, err = anon.DownloadArtifactToBuf("A1", 0, "public/missing")
	if err == nil || !strings.Contains(err.Error(), "file-missing-on-worker") {
		t.Fatalf("error artifact download err = %v", err)
	}

	ts, _ := e.fake.Task("A1")
	a, _ := ts.Runs[0].Artifact("public/logs/live_backing.log")
	if a.ContentEncoding != "gzip" || string(a.Data) != "hello log\n" || !a.Present {
		t.Fatalf("artifact state = %+v", a)
	}
	l, _ := ts.Runs[0].Artifact("public/logs/live.log")
	if l.StorageType != "link" || l.LinkTarget != "public/logs/live_backing.log" {
		t.Fatalf("live.log = %+v", l)
	}
	m, _ := ts.Runs[0].Artifact("public/missing")
	if m.ErrorReason != "file-missing-on-worker" || m.ErrorMessage != "no such file" {
		t.Fatalf("error artifact = %+v", m)
	}
}

func TestObjectArtifactUpload(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	claim := e.claimOne(t, "O1", nil)
	q := e.queue(taskCreds(claim.Credentials))
	exp := time.Now().Add(time.Hour)
	small := []byte("small inline object")
	large := bytes.Repeat([]byte("0123456789abcdef"), 1024) // > DataInlineMaxSize: putUrl
	for name, data := range map[string][]byte{"public/small.txt": small, "private/large.bin": large} {
		raw, err := postArtifact(t, q, "O1", name, tcqueue.ObjectArtifactRequest{
			StorageType: "object", ContentType: "application/octet-stream", Expires: tcclient.Time(exp)})
		if err != nil {
			t.Fatalf("createArtifact object: %v", err)
		}
		var or tcqueue.ObjectArtifactResponse
		if err := json.Unmarshal(raw, &or); err != nil {
			t.Fatal(err)
		}
		obj := tcobject.New(&tcclient.Credentials{ClientID: or.Credentials.ClientID,
			AccessToken: or.Credentials.AccessToken, Certificate: or.Credentials.Certificate}, e.fake.RootURL())
		obj.HTTPBackoffClient = fastRetry()
		if err := obj.UploadFromBuf(or.ProjectID, or.Name, "application/octet-stream", exp, or.UploadID, data); err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		if err := q.FinishArtifact("O1", "0", name, &tcqueue.FinishArtifactRequest{UploadID: or.UploadID}); err != nil {
			t.Fatalf("finishArtifact %s: %v", name, err)
		}
	}
	puts := 0
	for _, c := range e.fake.Calls() {
		if c.Route == "s3.put" && c.Status == http.StatusOK {
			puts++
		}
	}
	if puts != 1 {
		t.Fatalf("%d putUrl uploads, want 1 (the large object; the small one goes inline)", puts)
	}
	reader := &tcclient.Credentials{ClientID: "reader", AccessToken: "reader-token"}
	e.fake.AddClient(reader.ClientID, reader.AccessToken, "queue:get-artifact:private/*", "object:download:*")
	buf, _, _, err := e.queue(reader).DownloadArtifactToBuf("O1", 0, "private/large.bin")
	if err != nil || !bytes.Equal(buf, large) {
		t.Fatalf("download large object: %d bytes, %v", len(buf), err)
	}
	_, _, _, err = e.queue(e.worker).DownloadArtifactToBuf("O1", 0, "private/large.bin")
	wantStatus(t, err, http.StatusForbidden, "private artifact without scope")
	ts, _ := e.fake.Task("O1")
	a, _ := ts.Runs[0].Artifact("public/small.txt")
	if !a.Present || !bytes.Equal(a.Data, small) || a.StorageType != "object" {
		t.Fatalf("small object artifact = %+v", a)
	}
}

func TestObjectFinishUploadChecksHashes(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	up := &tcclient.Credentials{ClientID: "uploader", AccessToken: "up-token"}
	e.fake.AddClient(up.ClientID, up.AccessToken, "object:upload:proj:*")
	obj := tcobject.New(up, e.fake.RootURL())
	obj.HTTPBackoffClient = fastRetry()
	data := []byte("abc")
	b64 := "YWJj"
	if _, err := obj.CreateUpload("some/name", &tcobject.CreateUploadRequest{
		ProjectID: "proj", UploadID: "u1", Expires: tcclient.Time(time.Now().Add(time.Hour)),
		ProposedUploadMethods: tcobject.ProposedUploadMethods{DataInline: tcobject.DataInlineUploadRequest{ContentType: "text/plain", ObjectData: b64}},
	}); err != nil {
		t.Fatal(err)
	}
	err := obj.FinishUpload("some/name", &tcobject.FinishUploadRequest{ProjectID: "proj", UploadID: "u1",
		Hashes: tcobject.ObjectContentHashes{Sha256: strings.Repeat("0", 64)}})
	wantStatus(t, err, http.StatusBadRequest, "wrong sha256")
	_ = data
	_, err = obj.CreateUpload("other/name", &tcobject.CreateUploadRequest{ProjectID: "elsewhere", UploadID: "u2",
		Expires: tcclient.Time(time.Now().Add(time.Hour))})
	wantStatus(t, err, http.StatusForbidden, "upload outside scopes")
}

func TestSeededImageArtifact(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	img := bytes.Repeat([]byte{0x1f, 0x8b, 0}, 5000)
	if err := e.fake.UploadArtifact("IMG", "public/image.tar.zst", img); err != nil {
		t.Fatal(err)
	}
	e.fake.InsertIndex("project.images.busybox.latest", "IMG")
	if err := e.fake.UploadArtifactWith("IMG", "private/image.tar", img, tcfake.ArtifactOptions{Object: true}); err != nil {
		t.Fatal(err)
	}
	buf, _, _, err := e.queue(e.worker).DownloadArtifactToBuf("IMG", -1, "public/image.tar.zst")
	if err != nil || !bytes.Equal(buf, img) {
		t.Fatalf("download seeded: %d bytes %v", len(buf), err)
	}
	rd := &tcclient.Credentials{ClientID: "rd", AccessToken: "rd"}
	e.fake.AddClient(rd.ClientID, rd.AccessToken, "queue:get-artifact:private/*", "object:download:*")
	buf, _, _, err = e.queue(rd).DownloadArtifactToBuf("IMG", -1, "private/image.tar")
	if err != nil || !bytes.Equal(buf, img) {
		t.Fatalf("download seeded object: %d bytes %v", len(buf), err)
	}
	ts, _ := e.fake.Task("IMG")
	if ts.State != "completed" {
		t.Fatalf("seeded task state %q", ts.State)
	}
}

func TestArtifactNamesWithPlusAndRawSlashes(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	claim := e.claimOne(t, "P1", nil)
	q := e.queue(taskCreds(claim.Credentials))
	exp := tcclient.Time(e.clock.Now().Add(time.Hour))
	if _, err := postArtifact(t, q, "P1", "public/c++/x y.txt", tcqueue.RedirectArtifactRequest{
		StorageType: "reference", URL: "http://127.0.0.1:1/x", ContentType: "text/plain", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	ts, _ := e.fake.Task("P1")
	// client-go's url.QueryEscape sends the space as '+', which the real
	// services (and the fake) read back as a plus sign.
	if _, ok := ts.Runs[0].Artifact("public/c++/x+y.txt"); !ok {
		t.Fatalf("artifacts = %+v", ts.Runs[0].Artifacts)
	}
	// Unescaped slashes in the name are accepted too.
	resp, err := http.Get(e.fake.RootURL() + "/api/queue/v1/task/P1/runs/0/artifact-content/public/c%2B%2B/x+y.txt")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("artifact-content with raw slashes: %d", resp.StatusCode)
	}
}
