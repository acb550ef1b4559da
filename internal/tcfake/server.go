package tcfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// issuerClientID is the fake queue's own client: it signs the temporary
// credentials handed out with claims.
const issuerClientID = "static/taskcluster/queue"

// Options configures a Server. The zero value is usable.
type Options struct {
	// Now is the clock for takenUntil, certificates and expiry; default time.Now.
	Now func() time.Time
	// ClaimDuration is how long a claim or reclaim lasts; default 20 minutes.
	ClaimDuration time.Duration
	// CredentialsSlack is added to takenUntil for the expiry of the issued
	// task credentials; default 5 minutes.
	CredentialsSlack time.Duration
	// ClaimWait bounds how long claimWork long-polls for work when the queue is
	// empty (the real queue waits ~20 s); default 0: answer at once.
	ClaimWait time.Duration
	// MaxSkew, if > 0, rejects Hawk timestamps further than this from Now.
	MaxSkew time.Duration
	// Seed makes issued seeds/IDs and fault decisions deterministic; 0 draws a
	// random seed.
	Seed uint64
	// Faults to inject from the start (see SetFaults).
	Faults Faults
	// Logger receives one debug line per request; default discards.
	Logger *slog.Logger
}

// Credentials are Taskcluster credentials as the queue hands them out.
type Credentials struct {
	ClientID    string `json:"clientId"`
	AccessToken string `json:"accessToken"`
	Certificate string `json:"certificate,omitempty"`
}

type client struct {
	token  string
	scopes []string
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	mu      sync.Mutex
	opts    Options
	srv     *httptest.Server
	clients map[string]*client
	roles   map[string][]string
	nonces  map[string]struct{}
	tasks   map[string]*task
	live    map[string]bool     // tasks whose latest run is pending or running
	pending map[string][]string // taskQueueId → FIFO of taskIds
	blobs   map[string]*blob
	uploads map[string]*upload // object name → upload in progress/done
	index   map[string]string  // namespace → taskId
	calls   []Call
	claims  ClaimStats
	credGen map[string]int // certificate seed → generation of task credentials
	faults  Faults
	faultN  map[string]uint64
	rngN    uint64
	changed chan struct{}

	terminate    bool // workerManager.shouldWorkerTerminate answer
	purges       []purgeRequest
	workerErrors []WorkerError
	removed      []string
	static       map[string]*staticWorker // "<pool>/<group>/<id>" → registration
	staticTTL    time.Duration
	wstSecret    []byte // SetWebsocktunnelSecret
}

// New returns an unstarted fake; call Start, then Close when done.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClaimDuration <= 0 {
		opts.ClaimDuration = 20 * time.Minute
	}
	if opts.CredentialsSlack <= 0 {
		opts.CredentialsSlack = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	s := &Server{
		opts:    opts,
		clients: map[string]*client{},
		roles:   map[string][]string{},
		nonces:  map[string]struct{}{},
		tasks:   map[string]*task{},
		live:    map[string]bool{},
		pending: map[string][]string{},
		blobs:   map[string]*blob{},
		uploads: map[string]*upload{},
		index:   map[string]string{},
		faults:  opts.Faults,
		faultN:  map[string]uint64{},
		credGen: map[string]int{},
		changed: make(chan struct{}),
	}
	s.clients[issuerClientID] = &client{token: s.slug() + s.slug(), scopes: []string{"*"}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Start listens on 127.0.0.1 on a free port.
func (s *Server) Start() { s.srv.Start() }

// StartOn listens on addr (host:port; port 0 picks one) instead, e.g. a
// Docker network's gateway so that workers in containers on that network
// reach the fake.
func (s *Server) StartOn(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tcfake: listen: %w", err)
	}
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return nil
}

// Close stops the server and closes client connections.
func (s *Server) Close() { s.srv.Close() }

// RootURL is the Taskcluster root URL to give client-go (no trailing slash).
func (s *Server) RootURL() string { return s.srv.URL }

// AddClient registers permanent credentials with the given scopes.
func (s *Server) AddClient(clientID, accessToken string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = &client{token: accessToken, scopes: append([]string{}, scopes...)}
}

// AddRole defines role roleID (which may end in `*`) for `assume:` expansion.
func (s *Server) AddRole(roleID string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleID] = append([]string{}, scopes...)
}

// WorkerScopes are the scopes a worker's permanent credentials need to claim
// from taskQueueID as workerGroup/workerID.
func WorkerScopes(taskQueueID, workerGroup, workerID string) []string {
	return []string{
		"queue:claim-work:" + taskQueueID,
		"queue:worker-id:" + workerGroup + "/" + workerID,
		PurgeRequestsScope(taskQueueID),
	}
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// next returns the next value of the seeded splitmix64 stream. Caller holds s.mu.
func (s *Server) next() uint64 {
	s.rngN++
	return mix(s.opts.Seed + s.rngN*0x9e3779b97f4a7c15)
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// slug returns a deterministic 22-character URL-safe id. Caller holds s.mu.
func (s *Server) slug() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], s.next())
	binary.LittleEndian.PutUint64(b[8:], s.next())
	b[6] = b[6]&0x0f | 0x40 // v4-shaped, like slugid
	b[8] = b[8]&0x3f | 0x80
	return strings.TrimRight(base64.URLEncoding.EncodeToString(b[:]), "=")
}

// blobKey returns an unguessable-enough key for a stored body. Caller holds s.mu.
func (s *Server) blobKey() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.next())
	return hex.EncodeToString(b[:])
}

// notify wakes WaitResolved and long-polling claimWork. Caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// reply is what a handler produces; the dispatcher may still replace it with
// an injected fault.
type reply struct {
	status int
	body   any    // marshalled as JSON
	raw    []byte // sent as-is when body is nil
	header http.Header
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

// errReply builds a Taskcluster-shaped error body.
func errReply(status int, code, msg string) reply {
	return reply{status: status, body: map[string]any{
		"code":        code,
		"message":     msg,
		"requestInfo": map[string]any{},
	}}
}

func (rp reply) write(w http.ResponseWriter, route string, now time.Time) {
	for k, vs := range rp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if rp.body != nil {
		if m, ok := rp.body.(map[string]any); ok {
			if ri, ok := m["requestInfo"].(map[string]any); ok {
				ri["method"] = route
				ri["time"] = now.Format("2006-01-02T15:04:05.000Z")
			}
		}
		b, err := json.Marshal(rp.body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(rp.status)
		_, _ = w.Write(b)
		return
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.raw)
}

// readBody reads a request body fully (API payloads and blob PUTs).
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(r.Body)
}
