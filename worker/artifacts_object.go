package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
)

// uploadObject stores a spooled file as an object artifact: queue
// createArtifact(object) → object createUpload(putUrl) → PUT → object
// finishUpload → queue finishArtifact.
func (a *Artifacts) uploadObject(ctx context.Context, name, contentType string, expires time.Time, f *os.File, size int64, sha256hex, sha512hex string) error {
	resp, err := a.create(ctx, name, map[string]any{
		"storageType": "object", "contentType": contentType, "expires": tcTime(expires),
	})
	if err != nil {
		return err
	}
	var obj struct {
		Name        string    `json:"name"`
		ProjectID   string    `json:"projectId"`
		UploadID    string    `json:"uploadId"`
		Expires     string    `json:"expires"`
		Credentials credsJSON `json:"credentials"`
	}
	if err := json.Unmarshal(resp, &obj); err != nil || obj.UploadID == "" {
		return fmt.Errorf("create artifact %q: bad object response %s", name, resp)
	}
	creds := obj.Credentials.creds()
	up, err := a.objects.CreateUpload(ctx, creds, obj.Name, map[string]any{
		"projectId": obj.ProjectID, "uploadId": obj.UploadID, "expires": obj.Expires,
		"hashes":                map[string]string{"sha256": sha256hex, "sha512": sha512hex},
		"proposedUploadMethods": map[string]any{"putUrl": map[string]any{"contentType": contentType, "contentLength": size}},
	})
	if err != nil {
		return fmt.Errorf("artifact %q: object createUpload: %w", name, err)
	}
	var method struct {
		UploadMethod struct {
			PutURL *struct {
				URL     string            `json:"url"`
				Headers map[string]string `json:"headers"`
			} `json:"putUrl"`
		} `json:"uploadMethod"`
	}
	if err := json.Unmarshal(up, &method); err != nil || method.UploadMethod.PutURL == nil {
		return fmt.Errorf("artifact %q: object service offered no putUrl upload: %s", name, up)
	}
	hdr := http.Header{}
	for k, v := range method.UploadMethod.PutURL.Headers {
		hdr.Set(k, v)
	}
	if err := a.put(ctx, name, method.UploadMethod.PutURL.URL, hdr, f, size); err != nil {
		return err
	}
	if err := a.objects.FinishUpload(ctx, creds, obj.Name, map[string]any{"projectId": obj.ProjectID, "uploadId": obj.UploadID,
		"hashes": map[string]string{"sha256": sha256hex, "sha512": sha512hex}}); err != nil {
		return fmt.Errorf("artifact %q: object finishUpload: %w", name, err)
	}
	if err := a.queue.FinishArtifact(ctx, a.creds(), a.taskID, a.runID, name, obj.UploadID); err != nil {
		return fmt.Errorf("artifact %q: finish: %w", name, err)
	}
	return nil
}

// CreateUpload calls object.createUpload.
func (q *TCQueue) CreateUpload(ctx context.Context, creds Credentials, name string, req any) (json.RawMessage, error) {
	var resp json.RawMessage
	err := q.call(ctx, creds, "object", "PUT", "/upload/"+url.PathEscape(name), req, &resp)
	return resp, err
}

// FinishUpload calls object.finishUpload.
func (q *TCQueue) FinishUpload(ctx context.Context, creds Credentials, name string, req any) error {
	return q.call(ctx, creds, "object", "POST", "/finish-upload/"+url.PathEscape(name), req, nil)
}
