package tcfake

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

var objectRoutes = []route{
	{"object.createUpload", "PUT", "object", []string{"upload", ":name*"}, (*Server).createUpload},
	{"object.finishUpload", "POST", "object", []string{"finish-upload", ":name*"}, (*Server).finishUpload},
	{"object.startDownload", "PUT", "object", []string{"start-download", ":name*"}, (*Server).startDownload},
}

// upload is an object of the object service, in progress or finished.
type upload struct {
	projectID, uploadID string
	expires             time.Time
	blobKey             string
	finished            bool
}

func (s *Server) createUpload(c *call) reply {
	name := c.p["name"]
	var req struct {
		ProjectID             string `json:"projectId"`
		UploadID              string `json:"uploadId"`
		Expires               string `json:"expires"`
		ProposedUploadMethods struct {
			DataInline *struct {
				ContentType string `json:"contentType"`
				ObjectData  string `json:"objectData"`
			} `json:"dataInline"`
			PutURL *struct {
				ContentLength int64  `json:"contentLength"`
				ContentType   string `json:"contentType"`
			} `json:"putUrl"`
		} `json:"proposedUploadMethods"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("createUpload payload: " + err.Error())
	}
	if rp, oka := authorize(c, []string{"object:upload:" + req.ProjectID + ":" + name}); !oka {
		return rp
	}
	exp, err := time.Parse(time.RFC3339, req.Expires)
	if err != nil || req.UploadID == "" || req.ProjectID == "" {
		return badInput("createUpload needs projectId, uploadId and a valid expires")
	}
	if u, exists := s.uploads[name]; exists && (u.uploadID != req.UploadID || u.finished) {
		return conflict("object " + name + " already exists with another or finished upload")
	}
	u := &upload{projectID: req.ProjectID, uploadID: req.UploadID, expires: exp, blobKey: s.blobKey()}
	s.uploads[name] = u
	method := map[string]any{}
	pm := req.ProposedUploadMethods
	// client-go always sends a dataInline member; an empty one is no proposal.
	if di := pm.DataInline; di != nil && (di.ObjectData != "" || di.ContentType != "") {
		data, err := base64.StdEncoding.DecodeString(di.ObjectData)
		if err != nil {
			return badInput("createUpload: dataInline.objectData is not base64: " + err.Error())
		}
		h := map[string][]string{"Content-Type": {di.ContentType}}
		s.blobs[u.blobKey] = &blob{data: data, header: h, uploaded: true}
		method["dataInline"] = true
	} else if pu := pm.PutURL; pu != nil && (pu.ContentType != "" || pu.ContentLength > 0) {
		s.blobs[u.blobKey] = &blob{contentType: pu.ContentType}
		method["putUrl"] = map[string]any{
			"url":     s.blobURL(u.blobKey),
			"expires": fmtTime(s.now().Add(time.Hour)),
			"headers": map[string]string{"Content-Type": pu.ContentType, "Content-Length": strconv.FormatInt(pu.ContentLength, 10)},
		}
	}
	return ok(map[string]any{"projectId": req.ProjectID, "uploadId": req.UploadID,
		"expires": fmtTime(exp), "uploadMethod": method})
}

func (s *Server) finishUpload(c *call) reply {
	name := c.p["name"]
	var req struct {
		ProjectID string            `json:"projectId"`
		UploadID  string            `json:"uploadId"`
		Hashes    map[string]string `json:"hashes"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("finishUpload payload: " + err.Error())
	}
	if rp, oka := authorize(c, []string{"object:upload:" + req.ProjectID + ":" + name}); !oka {
		return rp
	}
	u, oku := s.uploads[name]
	if !oku || u.uploadID != req.UploadID || u.projectID != req.ProjectID {
		return conflict("finishUpload: no upload " + req.UploadID + " for object " + name)
	}
	b := s.blobs[u.blobKey]
	if b == nil || !b.uploaded {
		return conflict("finishUpload: object " + name + " data was never uploaded")
	}
	if len(req.Hashes) == 0 {
		return badInput("finishUpload: no hashes given")
	}
	for alg, want := range req.Hashes {
		var got string
		switch alg {
		case "sha256":
			sum := sha256.Sum256(b.data)
			got = hex.EncodeToString(sum[:])
		case "sha512":
			sum := sha512.Sum512(b.data)
			got = hex.EncodeToString(sum[:])
		default:
			return badInput("finishUpload: unknown hash algorithm " + alg)
		}
		if got != want {
			return badInput(fmt.Sprintf("finishUpload: %s of object %s is %s, not %s", alg, name, got, want))
		}
	}
	u.finished = true
	return ok(nil)
}

func (s *Server) startDownload(c *call) reply {
	name := c.p["name"]
	if rp, oka := authorize(c, []string{"object:download:" + name}); !oka {
		return rp
	}
	u, oku := s.uploads[name]
	if !oku || !u.finished {
		return notFound("object " + name + " not found")
	}
	var req struct {
		AcceptDownloadMethods struct {
			Simple bool `json:"simple"`
		} `json:"acceptDownloadMethods"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || !req.AcceptDownloadMethods.Simple {
		return badInput("startDownload: only the simple method is supported")
	}
	return ok(map[string]any{"method": "simple", "url": s.blobURL(u.blobKey)})
}
