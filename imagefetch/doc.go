// Package imagefetch downloads image artifacts (task-image,
// indexed-image) from a Taskcluster deployment: the one fetcher that
// `dwshim run` (with the run's task credentials) and `dwshim local` (with
// the user's, or none) use.
//
// A download is retried as docker-worker retried it (5 attempts, waiting
// 15 s·2ⁿ⁻¹ ±25 % in between; never after 401, 403 or 404) and a stream
// that breaks part way resumes where it stopped with an HTTP Range request
// (or, when the server ignores the range or the body was transparently
// decoded, by skipping what was already delivered): the caller sees one
// unbroken stream of the artifact's bytes.
//
//	f := &imagefetch.Fetcher{RootURL: root, Credentials: creds}
//	r, identity, err := f.Fetch(ctx, img) // runner.ImageFetcher
//	defer r.Close()
//
// Data flow: a plan.Image of kind task-image or indexed-image → Fetch →
// the bytes runner/docker loads. It does not decompress, load or cache
// images (runner/docker does) and imports no Docker SDK.
package imagefetch
