package tcfake

import (
	"fmt"
)

// ArtifactOptions tune UploadArtifactWith.
type ArtifactOptions struct {
	ContentType     string // default application/octet-stream
	ContentEncoding string // e.g. gzip: data is then served with that encoding
	Object          bool   // store as an object-service artifact instead of s3
}

// UploadArtifact seeds an s3 artifact on the latest run of taskID, e.g. a
// docker image tarball a task payload refers to. An unknown taskID is created
// as a completed task on queue "tcfake/seed".
func (s *Server) UploadArtifact(taskID, name string, data []byte) error {
	return s.UploadArtifactWith(taskID, name, data, ArtifactOptions{})
}

// UploadArtifactWith is UploadArtifact with a content type, encoding or
// object storage.
func (s *Server) UploadArtifactWith(taskID, name string, data []byte, o ArtifactOptions) error {
	if o.ContentType == "" {
		o.ContentType = "application/octet-stream"
	}
	s.mu.Lock()
	_, exists := s.tasks[taskID]
	s.mu.Unlock()
	if !exists {
		if err := s.AddTask(taskID, MinimalTask("tcfake/seed", map[string]any{})); err != nil {
			return fmt.Errorf("seed artifact %s: %w", name, err)
		}
		s.mu.Lock()
		t := s.tasks[taskID]
		s.pending[t.queueID] = nil
		delete(s.live, taskID)
		r := t.last()
		now := s.now()
		r.state, r.reasonResolved, r.started, r.resolved = "completed", "completed", now, now
		r.workerGroup, r.workerID = "tcfake", "seed"
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[taskID]
	r := t.last()
	key := s.blobKey()
	s.blobs[key] = &blob{data: append([]byte(nil), data...), uploaded: true, contentEncoding: o.ContentEncoding,
		header: map[string][]string{"Content-Type": {o.ContentType}}}
	if o.ContentEncoding != "" {
		s.blobs[key].header["Content-Encoding"] = []string{o.ContentEncoding}
	}
	a := &artifact{name: name, storageType: "s3", contentType: o.ContentType, expires: t.expires,
		blobKey: key, present: true}
	if o.Object {
		a.storageType, a.blobKey = "object", ""
		a.objectName = "t/" + taskID + "/" + fmt.Sprint(r.id) + "/" + name
		a.uploadID = s.slug()
		s.uploads[a.objectName] = &upload{projectID: t.projectID, uploadID: a.uploadID,
			expires: t.expires, blobKey: key, finished: true}
	}
	if _, had := r.artifacts[name]; !had {
		r.artifactOrder = append(r.artifactOrder, name)
	}
	r.artifacts[name] = a
	s.notify()
	return nil
}
