package translate

import "bytes"

// fastPayload decodes a payload object at the scanner's position onto p
// (already holding the defaults), exactly as the encoding/json path would.
// It gives up (s.bad) on anything unusual: nulls, escaped keys, unknown or
// case-folded keys, wrong types.
func fastPayload(s *scanner, p *DockerWorkerPayload) {
	s.object(func(key []byte) {
		switch string(key) {
		case "artifacts":
			if s.null() {
				s.fail()
				return
			}
			if p.Artifacts == nil {
				p.Artifacts = make(map[string]DWArtifact, 4)
			}
			s.objectStr(func(name string) {
				var a DWArtifact
				s.object(func(k []byte) {
					switch string(k) {
					case "type":
						a.Type = s.strNotNull()
					case "path":
						a.Path = s.strNotNull()
					case "expires":
						a.Expires = s.strNotNull()
					default:
						s.fail()
					}
				})
				p.Artifacts[name] = a
			})
		case "cache":
			p.Cache = s.strMap(p.Cache)
		case "env":
			p.Env = s.strMap(p.Env)
		case "capabilities":
			s.object(func(k []byte) {
				switch string(k) {
				case "privileged":
					p.Capabilities.Privileged = s.boolean()
				case "disableSeccomp":
					p.Capabilities.DisableSeccomp = s.boolean()
				case "devices":
					d := &p.Capabilities.Devices
					s.object(func(k []byte) {
						switch string(k) {
						case "loopbackVideo":
							d.LoopbackVideo = s.boolean()
						case "loopbackAudio":
							d.LoopbackAudio = s.boolean()
						case "hostSharedMemory":
							d.HostSharedMemory = s.boolean()
						case "kvm":
							d.KVM = s.boolean()
						default:
							s.fail()
						}
					})
				default:
					s.fail()
				}
			})
		case "command":
			p.Command = s.strings()
		case "features":
			f := &p.Features
			s.object(func(k []byte) {
				switch string(k) {
				case "localLiveLog":
					f.LocalLiveLog = s.boolean()
				case "bulkLog":
					f.BulkLog = s.boolean()
				case "taskclusterProxy":
					f.TaskclusterProxy = s.boolean()
				case "artifacts":
					f.Artifacts = s.boolean()
				case "interactive":
					f.Interactive = s.boolean()
				case "allowPtrace":
					f.AllowPtrace = s.boolean()
				case "chainOfTrust":
					f.ChainOfTrust = s.boolean()
				default:
					s.fail()
				}
			})
		case "image":
			fastImage(s, &p.Image)
		case "log":
			p.Log = s.strNotNull()
		case "maxRunTime":
			p.MaxRunTime = s.int64()
		case "onExitStatus":
			s.object(func(k []byte) {
				switch string(k) {
				case "retry":
					p.OnExitStatus.Retry = s.int64s()
				case "purgeCaches":
					p.OnExitStatus.PurgeCaches = s.int64s()
				default:
					s.fail()
				}
			})
		case "supersederUrl":
			p.SupersederURL = s.strNotNull()
		default:
			s.fail()
		}
	})
}

func fastImage(s *scanner, im *DWImage) {
	if s.peek() == '"' {
		*im = DWImage{Kind: ImageString, Name: s.str()}
		return
	}
	var r rawImage
	var vals [5]string
	s.object(func(k []byte) {
		var i int
		switch string(k) {
		case "type":
			i = 0
		case "name":
			i = 1
		case "namespace":
			i = 2
		case "taskId":
			i = 3
		case "path":
			i = 4
		default:
			s.fail()
			return
		}
		vals[i] = s.strNotNull()
		ptrs := [5]**string{&r.Type, &r.Name, &r.Namespace, &r.TaskID, &r.Path}
		*ptrs[i] = &vals[i]
	})
	if s.bad {
		return
	}
	v, ferr := buildImage(&r)
	if ferr != nil {
		s.fail()
		return
	}
	*im = v
}

func (s *scanner) strNotNull() string {
	if s.peek() != '"' {
		s.fail()
		return ""
	}
	return s.str()
}

// strMap decodes an object of strings into m (kept, as encoding/json does
// for a repeated key).
func (s *scanner) strMap(m map[string]string) map[string]string {
	if s.null() {
		s.fail()
		return m
	}
	if m == nil {
		m = make(map[string]string, 32)
	}
	s.objectStr(func(k string) { m[k] = s.strNotNull() })
	return m
}

func (s *scanner) strings() []string {
	if s.null() {
		s.fail()
		return nil
	}
	out := make([]string, 0, 8)
	s.array(func() { out = append(out, s.strNotNull()) })
	return out
}

func (s *scanner) int64s() []int64 {
	if s.null() {
		s.fail()
		return nil
	}
	out := make([]int64, 0, 4)
	s.array(func() { out = append(out, s.int64()) })
	return out
}

// decodePayloadFast is DecodePayload's fast path; ok is false when the
// slow path must decide.
func decodePayloadFast(raw []byte) (*DockerWorkerPayload, bool) {
	p := DefaultDockerWorkerPayload()
	p.MaxRunTime = -1
	s := newScanner(raw)
	if s.peek() != '{' {
		return nil, false
	}
	fastPayload(&s, &p)
	if !s.end() || len(p.check()) > 0 {
		return nil, false
	}
	return &p, true
}

var taskKeys = [][]byte{[]byte("payload"), []byte("scopes"), []byte("taskqueueid"), []byte("provisionerid"), []byte("workertype"), []byte("dependencies")}

// fastTask reads a task definition's header and payload in one pass.
func fastTask(raw []byte) (h fastHeader, p *DockerWorkerPayload, ok bool) {
	s := newScanner(raw)
	if s.peek() != '{' {
		return h, nil, false
	}
	var seenPayload bool
	pl := DefaultDockerWorkerPayload()
	pl.MaxRunTime = -1
	s.object(func(key []byte) {
		switch string(key) {
		case "payload":
			if seenPayload || s.peek() != '{' {
				s.fail()
				return
			}
			seenPayload = true
			fastPayload(&s, &pl)
		case "scopes":
			if s.null() {
				s.fail()
				return
			}
			h.hasScopes = true
			h.scopes = s.strings()
		case "taskQueueId":
			h.taskQueueID = s.strNotNull()
		case "provisionerId":
			h.provisionerID = s.strNotNull()
		case "workerType":
			h.workerType = s.strNotNull()
		case "dependencies":
			h.dependencies = s.strings()
		default:
			for _, k := range taskKeys {
				if bytes.EqualFold(key, k) {
					s.fail() // encoding/json would match it case-insensitively
					return
				}
			}
			s.skip()
		}
	})
	if !s.end() || !seenPayload || len(pl.check()) > 0 {
		return h, nil, false
	}
	return h, &pl, true
}

// fastHeader is the part of a task definition translation reads.
type fastHeader struct {
	hasScopes                              bool
	scopes, dependencies                   []string
	taskQueueID, provisionerID, workerType string
}
