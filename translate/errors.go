package translate

import (
	"fmt"
	"strings"
)

// Reason is the task resolution a translation error implies; the values are
// the queue's exception reasons.
type Reason string

// Reasons.
const (
	// MalformedPayload: the task itself is wrong (schema, scopes, image
	// reference, config forbids a capability); rerunning will not help.
	MalformedPayload Reason = "malformed-payload"
	// InternalError: dwshim failed; the task may be fine.
	InternalError Reason = "internal-error"
)

// Problem is one thing wrong with a task, located by a JSON pointer relative
// to the translated document (the payload, or the task definition when a
// whole task was translated).
type Problem struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
	// Kind says which check found it; lint turns it into a rule.
	Kind ProblemKind `json:"kind,omitempty"`
}

// ProblemKind classifies problems.
type ProblemKind string

// Problem kinds.
const (
	// ProblemSchema: the payload breaks the docker-worker payload schema.
	ProblemSchema ProblemKind = ""
	// ProblemRemovedField: a member docker-worker or d2g removed.
	ProblemRemovedField ProblemKind = "removed-field"
	// ProblemRunTime: valid by the schema, but a worker refuses it when
	// the task runs (NUL bytes, env file names, artifact names and expiry,
	// cache names).
	ProblemRunTime ProblemKind = "run-time"
	// ProblemTaskDefinition: the task definition around the payload.
	ProblemTaskDefinition ProblemKind = "task-definition"
	// ProblemConfigDisallowed: the pool's d2gConfig refuses a capability
	// or feature (Verdict).
	ProblemConfigDisallowed ProblemKind = "config-disallowed"
	// ProblemMissingScopes: the task's scopes do not grant what it uses.
	ProblemMissingScopes ProblemKind = "missing-scopes"
	// ProblemImageReference: the image name is not a docker reference.
	ProblemImageReference ProblemKind = "image-reference"
	// ProblemGenericWorker: dwshim runs it, but generic-worker's schema
	// rejects it in the converted payload (GenericWorkerRefusals).
	ProblemGenericWorker ProblemKind = "generic-worker-refusal"
)

// Code names the kind in reports ("schema" for ProblemSchema); the kinds
// that are also lint rules have the rule's id.
func (k ProblemKind) Code() string {
	if k == ProblemSchema {
		return "schema"
	}
	return string(k)
}

func (p Problem) String() string { return located(p.Pointer, p.Message) }

// located renders "POINTER: MESSAGE", with "/" for the document itself.
func located(ptr, msg string) string {
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + msg
}

// Error is a translation failure with every problem found.
type Error struct {
	Reason   Reason
	Problems []Problem
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s: %s", e.Reason, strings.Join(parts, "; "))
}

// Warning is something the translation could not keep, or a docker-worker
// behaviour the target changes; it does not fail the task. Callers decide
// on a warning by its Code (which target it concerns, which lint rule
// reports it), never by its text.
type Warning struct {
	Pointer string      `json:"pointer"`
	Message string      `json:"message"`
	Code    WarningCode `json:"code"`
}

func (w Warning) String() string { return located(w.Pointer, w.Message) }

// WarningCode says what a warning is about. The set is closed: every
// warning translate or native creates has one of these codes.
type WarningCode string

// Warning codes of the translation (package translate). Concerns says
// which outputs each is about.
const (
	// WarnD2GIndexedImageProxy: d2g turns generic-worker's taskclusterProxy
	// feature on for an indexed-image although the container does not use it.
	WarnD2GIndexedImageProxy WarningCode = "d2g-indexed-image-proxy"
	// WarnD2GArtifactsDisableLogs: features.artifacts false also disables
	// the logs in the d2g payload.
	WarnD2GArtifactsDisableLogs WarningCode = "d2g-artifacts-disable-logs"
	// WarnWorkerVariable: the payload sets a worker variable, whose value
	// dwshim's plan never passes (as docker-worker) and the d2g payload
	// does. The native target says it in its own words
	// (WarnNativeWorkerVariable).
	WarnWorkerVariable WarningCode = "worker-variable"
	// WarnD2GExitStatus: an onExitStatus value generic-worker's schema
	// rejects in the d2g payload (below the minimum, or repeated).
	WarnD2GExitStatus WarningCode = "d2g-exit-status"
	// WarnMaxRunTimeClamped: maxRunTime is larger than a duration holds.
	WarnMaxRunTimeClamped WarningCode = "max-run-time-clamped"
	// WarnTaskImageDependency: the image task is not among the task's
	// dependencies (generic-worker requires it of a converted task).
	WarnTaskImageDependency WarningCode = "task-image-dependency"
	// WarnNoScopesKey: the task definition has no scopes key.
	WarnNoScopesKey WarningCode = "no-scopes-key"
	// WarnScopesNotExpanded: assume: scopes could not be expanded offline.
	WarnScopesNotExpanded WarningCode = "scopes-not-expanded"
	// WarnScopeUnverifiable: a required scope that only unexpanded assume:
	// roles might grant.
	WarnScopeUnverifiable WarningCode = "scope-unverifiable"
	// WarnPoolCacheScope: a cache granted only by the pool-qualified
	// docker-worker:cache:<name>:<pool>, which d2g's scope mapping turns
	// into a scope generic-worker never accepts.
	WarnPoolCacheScope WarningCode = "pool-qualified-cache-scope"
)

// Warning codes of the native target (package native).
const (
	// WarnEnvDropped: an env variable the native payload cannot pass.
	WarnEnvDropped WarningCode = "env-dropped"
	// WarnNativeWorkerVariable: the payload sets a worker variable; as in
	// docker-worker its value is never passed.
	WarnNativeWorkerVariable WarningCode = "native-worker-variable"
	// WarnLoopbackDevice: generic-worker's loopback audio or video device
	// is not the one docker-worker would have allocated.
	WarnLoopbackDevice WarningCode = "loopback-device"
	// WarnInteractive: docker-worker's interactive shell has no native
	// equivalent.
	WarnInteractive WarningCode = "interactive"
	// WarnChainOfTrust: the image hashes for chain of trust are written by
	// the task's commands, not by the worker.
	WarnChainOfTrust WarningCode = "chain-of-trust"
	// WarnVolumePathColon: a cache or volume artifact path with ':' is left
	// out (docker would read it as volume options).
	WarnVolumePathColon WarningCode = "volume-path-colon"
	// WarnExitStatusDropped: an onExitStatus value generic-worker's schema
	// rejects is left out of the native payload.
	WarnExitStatusDropped WarningCode = "exit-status-dropped"
)

// Target is a set of the outputs a warning can be about.
type Target uint8

// Targets.
const (
	// TargetPlan is dwshim's Plan, which local, run and the worker run.
	TargetPlan Target = 1 << iota
	// TargetD2G is the d2g payload (convert --target d2g).
	TargetD2G
	// TargetNative is the native payload (convert --target native).
	TargetNative
)

// Concerns reports whether a warning of code c says something about
// output t; a caller producing t shows only those.
func (c WarningCode) Concerns(t Target) bool { return c.targets()&t != 0 }

func (c WarningCode) targets() Target {
	switch c {
	case WarnD2GIndexedImageProxy, WarnD2GArtifactsDisableLogs, WarnD2GExitStatus:
		return TargetD2G
	case WarnWorkerVariable:
		return TargetPlan | TargetD2G
	case WarnMaxRunTimeClamped:
		return TargetPlan | TargetNative // d2g copies maxRunTime as given
	case WarnTaskImageDependency, WarnNoScopesKey, WarnPoolCacheScope:
		return TargetD2G | TargetNative // about converted tasks on generic-worker
	case WarnEnvDropped, WarnNativeWorkerVariable, WarnLoopbackDevice, WarnInteractive,
		WarnChainOfTrust, WarnVolumePathColon, WarnExitStatusDropped:
		return TargetNative
	}
	return TargetPlan | TargetD2G | TargetNative
}
