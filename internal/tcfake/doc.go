// Package tcfake is a Taskcluster services test double on real HTTP: an
// httptest.Server on 127.0.0.1 serving /api/{queue,object,index,auth,
// worker-manager,purge-cache}/v1/...
// so that the real client-go (taskcluster/v44 clients/client-go) can be
// pointed at RootURL() unchanged.
//
// # Faithful
//
//   - Hawk: every request carrying an Authorization header is verified
//     (header MAC over the normalized string, HMAC-SHA256 with the client's
//     accessToken; nonce replay rejected). Bad credentials give 401
//     AuthenticationFailed with a Taskcluster-shaped JSON error.
//   - Temporary credentials: certificates in the Hawk ext are checked like the
//     auth service does (signature over version/clientId/issuer/seed/start/
//     expiry/scopes, validity window, ≤31 days, issuer holds the scopes), and
//     the access token is derived from the issuer's token and the seed. Each
//     claim and reclaim issues fresh named credentials
//     `task-client/<taskId>/<runId>/on/<workerGroup>/<workerId>` signed by the
//     fake queue's own issuer, with the scopes the real queue grants
//     (task.scopes + queue:{reclaim,resolve}-task and queue:create-artifact
//     for that run). Old credentials stay valid until their expiry.
//   - Scopes: routes check the scopes the real services require (claim-work
//     and worker-id for claimWork; the run's reclaim/resolve/create-artifact
//     scope or the claiming worker's worker-id; object:upload/download;
//     queue:get-artifact for non-public artifacts), with `*` patterns and
//     `assume:` role expansion (AddRole). 403 InsufficientScopes otherwise.
//   - Queue state machine: FIFO pending per taskQueueId, runs with
//     reasonCreated/reasonResolved, takenUntil, claim expiry
//     (exception/claim-expired, retried), deadline-exceeded, cancellation
//     (reclaim/resolve then 409), worker-shutdown and intermittent-task
//     exceptions scheduling a new run while retries last. Resolving again
//     with the same resolution is an idempotent 200; a different one is 409.
//   - Artifacts: s3 (putUrl back into this server; PUT must carry the declared
//     Content-Type, like a pre-signed URL; Content-Encoding is kept and served),
//     object (queue hands out upload credentials; object createUpload with
//     dataInline or putUrl, finishUpload checks sha256/sha512; finishArtifact),
//     error, reference and link (reference↔link replaceable, as for live.log).
//     getArtifact answers 303 with the JSON body client-go reads; the
//     artifact-content methods return the download description, so
//     DownloadArtifactToBuf works for s3, reference, link and object.
//
// # Simplified
//
//   - Time runs on Options.Now; claim expiry and deadlines are applied lazily
//     on the next request or inspection, not by a background timer.
//   - Hawk payload hashes are not checked against the body, bewits (signed
//     URLs) are not accepted, and the timestamp is only checked when
//     Options.MaxSkew is set (client-go signs with the wall clock).
//   - Scope alternatives are reduced to "the run's scope OR the claiming
//     worker's queue:worker-id"; no createTask, dependencies, priorities,
//     task groups, pulse messages or artifact expiry; the index has only
//     findTask and findArtifactFromTask; blobs live in memory.
//   - claimWork answers at once when idle unless Options.ClaimWait is set.
//
// # Test support
//
// AddClient/AddRole/AddTask/InsertIndex/UploadArtifact seed state;
// AddStaticWorker lets worker-runner's static provider register
// (workerManager.registerWorker/reregisterWorker, temporary credentials); Task,
// WaitResolved, Calls and Claims inspect it; Faults (SetFaults) inject 500/503
// before any state change, 500 after the change (response lost), connection
// resets, latency (before handling) and reply delays (after the state change:
// a granted claim whose answer is still on its way) and reclaim conflicts, decided by a stream seeded with
// Options.Seed per route, so runs are reproducible.
package tcfake
