package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
)

// PullPolicy says when a named image is pulled.
type PullPolicy string

// Pull policies.
const (
	// PullIfMissing uses the local image when there is one, as
	// docker-worker did and as `docker run` does. The default: a pull per
	// task costs a registry round trip (and rate limits) per task.
	PullIfMissing PullPolicy = "missing"
	// PullAlways pulls a tag for every task, so a tag that moved on the
	// registry ("latest") is not served stale from the host
	// (taskcluster#8004). A reference pinned by digest is still pulled
	// only when absent.
	PullAlways PullPolicy = "always"
)

// ParsePullPolicy reads a pull policy ("" is the default, PullIfMissing).
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch PullPolicy(s) {
	case "", PullIfMissing:
		return PullIfMissing, nil
	case PullAlways:
		return PullAlways, nil
	}
	return "", fmt.Errorf("pull policy %q: want %q or %q", s, PullIfMissing, PullAlways)
}

// prepareNamed makes the registry image ref available and returns the
// reference to create the container from.
func (e *Engine) prepareNamed(ctx context.Context, t *runner.Task, log io.Writer) (string, error) {
	ref := t.Plan.Image.Ref
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w: %w", ref, runner.ErrImageNotFound, err)
	}
	if reserved, err := reference.ParseNormalizedNamed(e.opts.ImageRepo); err == nil && reserved.Name() == named.Name() {
		// Its tags name other tasks' image artifacts, which may be private.
		return "", fmt.Errorf("image %q: %w: the repository %s holds this worker's loaded image artifacts; a task cannot name it", ref, runner.ErrImageNotFound, e.opts.ImageRepo)
	}
	ins, ierr := e.cli.ImageInspect(ctx, ref)
	present := ierr == nil
	if ierr != nil && client.IsErrConnectionFailed(ierr) {
		return "", wrap("inspect image", ierr)
	}
	_, pinned := named.(reference.Digested)
	if present && (pinned || e.opts.PullPolicy == PullIfMissing) {
		fmt.Fprintf(log, "Using image %s (present locally)\n", ref)
		e.state(t.Key).imageID = ins.ID // ImageID need not ask again
		return ref, nil
	}
	auth, err := registryAuth(t, named)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "Pulling image %s\n", ref)
	attempts := e.opts.Pull.Attempts
	if present {
		// A local copy to fall back on: do not spend minutes on retries.
		attempts = 1
	}
	err = e.pull(ctx, ref, auth, log, attempts)
	if err == nil {
		return ref, nil
	}
	if errors.Is(err, runner.ErrEngineUnavailable) || ctx.Err() != nil {
		return "", err
	}
	if !present {
		if errors.Is(err, runner.ErrImageNotFound) {
			return "", err
		}
		return "", fmt.Errorf("%w (not present locally): %w", runner.ErrImageUnavailable, err)
	}
	// The registry is unreachable, unwell, or does not know the image (one
	// built or loaded on this machine) but the image is here: better a
	// possibly stale image, said so in the task log, than a failed task.
	fmt.Fprintf(log, "Warning: could not pull %s (%v); using the copy present locally\n", ref, err)
	return ref, nil
}

// registryAuth is the X-Registry-Auth value for pulling named ("" for
// anonymous).
func registryAuth(t *runner.Task, named reference.Named) (string, error) {
	if t.RegistryAuth == nil {
		return "", nil
	}
	host := reference.Domain(named)
	user, pass := t.RegistryAuth(named.Name())
	if user == "" && pass == "" {
		return "", nil
	}
	b, err := json.Marshal(registry.AuthConfig{Username: user, Password: pass, ServerAddress: host})
	if err != nil {
		return "", fmt.Errorf("encode registry credentials for %s: %w", host, err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// pull pulls ref with the retry policy.
func (e *Engine) pull(ctx context.Context, ref, auth string, log io.Writer, attempts int) error {
	p := e.opts.Pull
	for attempt := 1; ; attempt++ {
		err := e.pullOnce(ctx, ref, auth, log)
		if err == nil {
			return nil
		}
		if errors.Is(err, runner.ErrImageNotFound) || errors.Is(err, runner.ErrEngineUnavailable) || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		d := p.delay(attempt)
		fmt.Fprintf(log, "Pull of %s failed (attempt %d of %d): %v; retrying in %s\n", ref, attempt, attempts, err, d.Round(100_000_000))
		e.log.Warn("image pull failed, retrying", "image", ref, "attempt", attempt, "err", err)
		if serr := e.opts.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("pull image %q: %w", ref, errors.Join(err, serr))
		}
	}
}

// pullOnce makes one pull, writing a line per layer status change.
func (e *Engine) pullOnce(ctx context.Context, ref, auth string, log io.Writer) error {
	resp, err := e.cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: auth})
	if err != nil {
		return pullError(ref, err)
	}
	defer resp.Close()
	last := map[string]string{}
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return pullError(ref, err)
		}
		if msg.Error != nil {
			return pullError(ref, errors.New(msg.Error.Message))
		}
		if msg.Status == "" || last[msg.ID] == msg.Status {
			continue
		}
		last[msg.ID] = msg.Status
		if msg.ID != "" {
			fmt.Fprintf(log, "%s: %s\n", msg.ID, msg.Status)
		} else {
			fmt.Fprintln(log, msg.Status)
		}
	}
	return nil
}

// pullError wraps a pull failure, marking the registry's "no such image"
// answers with runner.ErrImageNotFound.
func pullError(ref string, err error) error {
	op := fmt.Sprintf("pull image %q", ref)
	if cerrdefs.IsNotFound(err) || isNotFoundMessage(err.Error()) {
		return fmt.Errorf("%s: %w: %w", op, runner.ErrImageNotFound, err)
	}
	return wrap(op, err)
}

func isNotFoundMessage(s string) bool {
	s = strings.ToLower(s)
	for _, m := range []string{"manifest unknown", "not found", "repository does not exist", "name unknown"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
