package tcfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var artifactRoutes = []route{
	{"queue.createArtifact", "POST", "queue", []string{"task", ":taskId", "runs", ":runId", "artifacts", ":name*"}, (*Server).createArtifact},
	{"queue.finishArtifact", "PUT", "queue", []string{"task", ":taskId", "runs", ":runId", "artifacts", ":name*"}, (*Server).finishArtifact},
	{"queue.listArtifacts", "GET", "queue", []string{"task", ":taskId", "runs", ":runId", "artifacts"}, (*Server).listArtifacts},
	{"queue.listLatestArtifacts", "GET", "queue", []string{"task", ":taskId", "artifacts"}, (*Server).listArtifacts},
	{"queue.getArtifact", "GET", "queue", []string{"task", ":taskId", "runs", ":runId", "artifacts", ":name*"}, artifactGetter(false)},
	{"queue.getLatestArtifact", "GET", "queue", []string{"task", ":taskId", "artifacts", ":name*"}, artifactGetter(false)},
	{"queue.artifact", "GET", "queue", []string{"task", ":taskId", "runs", ":runId", "artifact-content", ":name*"}, artifactGetter(true)},
	{"queue.latestArtifact", "GET", "queue", []string{"task", ":taskId", "artifact-content", ":name*"}, artifactGetter(true)},
	{"s3.put", "PUT", "", []string{"s3", ":key"}, (*Server).putBlob},
	{"s3.get", "GET", "", []string{"s3", ":key"}, (*Server).getBlob},
}

// artifact is one artifact of a run.
type artifact struct {
	name, storageType, contentType string
	expires                        time.Time
	blobKey                        string // s3: where the bytes go
	errReason, errMessage          string
	url                            string // reference
	linkTarget                     string // link
	objectName, uploadID           string // object
	present                        bool   // bytes uploaded / object finished / non-data kinds
	request                        json.RawMessage
}

// blob is a stored body behind /s3/<key> (s3 artifacts and object putUrls).
type blob struct {
	contentType     string // required Content-Type of the PUT ("" = any)
	data            []byte
	header          http.Header // Content-Type, Content-Encoding… of the PUT
	uploaded        bool
	onUpload        func() // marks the owner present
	contentEncoding string
}

var errorReasons = map[string]bool{
	"file-missing-on-worker": true, "invalid-resource-on-worker": true,
	"too-large-file-on-worker": true, "file-not-readable-on-worker": true,
}

func (s *Server) blobURL(key string) string { return s.RootURL() + "/s3/" + key }

func (s *Server) createArtifact(c *call) reply {
	t, r, rp, okr := s.taskRun(c)
	if !okr {
		return rp
	}
	if rp, oka := authorize(c, runScopes("create-artifact", t, r)...); !oka {
		return rp
	}
	now := s.now()
	if r.state != "running" && !(r.state == "exception" && now.Sub(r.resolved) < 25*time.Minute) {
		return conflict(fmt.Sprintf("run %d of task %s is %s: artifacts can no longer be created", r.id, t.id, r.state))
	}
	var req struct {
		StorageType string `json:"storageType"`
		Expires     string `json:"expires"`
		ContentType string `json:"contentType"`
		Reason      string `json:"reason"`
		Message     string `json:"message"`
		URL         string `json:"url"`
		Artifact    string `json:"artifact"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("createArtifact payload: " + err.Error())
	}
	exp, err := time.Parse(time.RFC3339, req.Expires)
	if err != nil {
		return badInput("createArtifact: expires " + strconv.Quote(req.Expires) + ": " + err.Error())
	}
	if exp.After(t.expires) {
		return badInput(fmt.Sprintf("createArtifact: artifact expires %s after its task (%s)", fmtTime(exp), fmtTime(t.expires)))
	}
	name := c.p["name"]
	a := &artifact{name: name, storageType: req.StorageType, contentType: req.ContentType, expires: exp, request: c.body}
	var resp map[string]any
	switch req.StorageType {
	case "s3":
		if req.ContentType == "" {
			return badInput("createArtifact: s3 artifacts need contentType")
		}
		a.blobKey = s.blobKey()
		s.blobs[a.blobKey] = &blob{contentType: req.ContentType, onUpload: func() { a.present = true }}
		resp = map[string]any{"storageType": "s3", "putUrl": s.blobURL(a.blobKey),
			"expires": fmtTime(exp), "contentType": req.ContentType}
	case "error":
		if !errorReasons[req.Reason] || req.Message == "" {
			return badInput(fmt.Sprintf("createArtifact: error artifact needs a known reason (got %q) and a message", req.Reason))
		}
		a.errReason, a.errMessage, a.present = req.Reason, req.Message, true
		resp = map[string]any{"storageType": "error"}
	case "reference":
		if req.URL == "" {
			return badInput("createArtifact: reference artifact needs url")
		}
		a.url, a.present = req.URL, true
		resp = map[string]any{"storageType": "reference"}
	case "link":
		if req.Artifact == "" {
			return badInput("createArtifact: link artifact needs artifact")
		}
		a.linkTarget, a.present = req.Artifact, true
		resp = map[string]any{"storageType": "link"}
	case "object":
		a.objectName = "t/" + t.id + "/" + strconv.Itoa(r.id) + "/" + name
		a.uploadID = s.slug()
		creds := s.issueTemp("task-object/"+t.id+"/"+strconv.Itoa(r.id)+"/"+s.slug(), now,
			now.Add(s.opts.ClaimDuration+s.opts.CredentialsSlack),
			[]string{"object:upload:" + t.projectID + ":" + a.objectName})
		resp = map[string]any{"storageType": "object", "name": a.objectName, "projectId": t.projectID,
			"uploadId": a.uploadID, "expires": fmtTime(exp), "credentials": creds}
	default:
		return badInput(fmt.Sprintf("createArtifact: unknown storageType %q", req.StorageType))
	}
	if old, exists := r.artifacts[name]; exists {
		swappable := (old.storageType == "reference" || old.storageType == "link") &&
			(a.storageType == "reference" || a.storageType == "link")
		same := old.storageType == a.storageType && old.contentType == a.contentType
		if !swappable && !same {
			return conflict(fmt.Sprintf("artifact %s of task %s run %d exists as %s (%s)", name, t.id, r.id, old.storageType, old.contentType))
		}
	} else {
		r.artifactOrder = append(r.artifactOrder, name)
	}
	r.artifacts[name] = a
	return ok(resp)
}

func (s *Server) finishArtifact(c *call) reply {
	t, r, rp, okr := s.taskRun(c)
	if !okr {
		return rp
	}
	if rp, oka := authorize(c, runScopes("create-artifact", t, r)...); !oka {
		return rp
	}
	a, oka := r.artifacts[c.p["name"]]
	if !oka {
		return notFound("artifact " + c.p["name"] + " not found")
	}
	var req struct {
		UploadID string `json:"uploadId"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("finishArtifact payload: " + err.Error())
	}
	if a.storageType != "object" || a.uploadID != req.UploadID {
		return conflict("finishArtifact: artifact is not an object artifact with uploadId " + req.UploadID)
	}
	u := s.uploads[a.objectName]
	if u == nil || u.uploadID != req.UploadID || !u.finished {
		return conflict("finishArtifact: object " + a.objectName + " upload is not finished")
	}
	a.present = true
	return ok(nil)
}

// findArtifact locates the artifact of a call (latest run when no runId),
// following links. Caller holds s.mu.
func (s *Server) findArtifact(c *call) (*task, *run, *artifact, reply, bool) {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return nil, nil, nil, notFound("task " + c.p["taskId"] + " not found"), false
	}
	r := t.last()
	if _, hasRun := c.p["runId"]; hasRun {
		var rp reply
		var okr bool
		if _, r, rp, okr = s.taskRun(c); !okr {
			return nil, nil, nil, rp, false
		}
	}
	name := c.p["name"]
	for hops := 0; hops < 10; hops++ {
		a, oka := r.artifacts[name]
		if !oka || !a.present {
			return nil, nil, nil, notFound(fmt.Sprintf("artifact %s of task %s run %d not found", name, t.id, r.id)), false
		}
		if a.storageType != "link" {
			return t, r, a, reply{}, true
		}
		name = a.linkTarget
	}
	return nil, nil, nil, notFound("artifact link chain too long"), false
}

// artifactGetter serves getArtifact (303 redirect, content false) and the
// artifact-content method (JSON description, content true).
func artifactGetter(content bool) func(*Server, *call) reply {
	return func(s *Server, c *call) reply {
		if !strings.HasPrefix(c.p["name"], "public/") {
			if rp, oka := authorize(c, []string{"queue:get-artifact:" + c.p["name"]}); !oka {
				return rp
			}
		}
		_, _, a, rp, oka := s.findArtifact(c)
		if !oka {
			return rp
		}
		var body map[string]any
		target := ""
		switch a.storageType {
		case "s3":
			target = s.blobURL(a.blobKey)
			body = map[string]any{"storageType": "s3", "url": target}
		case "reference":
			target = a.url
			body = map[string]any{"storageType": "reference", "url": target}
		case "object":
			u := s.uploads[a.objectName]
			target = s.blobURL(u.blobKey)
			if content {
				now := s.now()
				creds := s.issueTemp("task-object-download/"+s.slug(), now, now.Add(time.Hour),
					[]string{"object:download:" + a.objectName})
				return ok(map[string]any{"storageType": "object", "name": a.objectName, "credentials": creds})
			}
			body = map[string]any{"storageType": "object", "url": target}
		case "error":
			body = map[string]any{"storageType": "error", "reason": a.errReason, "message": a.errMessage}
			if content {
				return ok(body)
			}
			return reply{status: http.StatusFailedDependency, body: body}
		}
		if content {
			return ok(body)
		}
		return reply{status: http.StatusSeeOther, body: body, header: http.Header{"Location": {target}}}
	}
}

func (s *Server) listArtifacts(c *call) reply {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return notFound("task " + c.p["taskId"] + " not found")
	}
	r := t.last()
	if _, hasRun := c.p["runId"]; hasRun {
		var rp reply
		var okr bool
		if _, r, rp, okr = s.taskRun(c); !okr {
			return rp
		}
	}
	list := []map[string]any{}
	for _, n := range r.artifactOrder {
		a := r.artifacts[n]
		list = append(list, map[string]any{"name": a.name, "storageType": a.storageType,
			"contentType": a.contentType, "expires": fmtTime(a.expires)})
	}
	return ok(map[string]any{"artifacts": list})
}

// putBlob stores a PUT to a putUrl. Like a pre-signed S3 URL, it insists on
// the Content-Type the artifact was declared with.
func (s *Server) putBlob(c *call) reply {
	b, okb := s.blobs[c.p["key"]]
	if !okb {
		return notFound("no such upload URL")
	}
	if got := c.r.Header.Get("Content-Type"); b.contentType != "" && got != b.contentType {
		return errReply(http.StatusForbidden, "SignatureDoesNotMatch",
			fmt.Sprintf("PUT Content-Type %q differs from the declared %q", got, b.contentType))
	}
	b.data = c.body
	b.header = c.r.Header.Clone()
	b.header.Del("Authorization")
	b.contentEncoding = c.r.Header.Get("Content-Encoding")
	b.uploaded = true
	if b.onUpload != nil {
		b.onUpload()
	}
	return reply{status: http.StatusOK}
}

func (s *Server) getBlob(c *call) reply {
	b, okb := s.blobs[c.p["key"]]
	if !okb || !b.uploaded {
		return notFound("no such object")
	}
	h := http.Header{}
	ct := b.header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	if b.contentEncoding != "" {
		h.Set("Content-Encoding", b.contentEncoding)
	}
	return reply{status: http.StatusOK, raw: b.data, header: h}
}
