package lint

import "github.com/dwshim/dwshim/translate"

// Rule ids.
const (
	RuleSchema              = "schema"
	RuleRemovedField        = "removed-field"
	RuleConfigDisallowed    = "config-disallowed"
	RuleMissingScopes       = "missing-scopes"
	RuleScopesUnverifiable  = "scopes-unverifiable"
	RulePoolCacheScope      = "pool-qualified-cache-scope"
	RuleTaskImageDependency = "task-image-dependency"
	RuleOnExitStatus        = "on-exit-status"
	RuleMaxRunTime          = "max-run-time"
	RuleImageReference      = "image-reference"
	RuleUnresolvedReference = "unresolved-reference"
	RuleTaskDefinition      = "task-definition"
	RuleRunTimeRefusal      = "run-time-refusal"
)

// Rule describes one check.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Description says what the rule catches.
	Description string `json:"description"`
}

// Rules lists every rule, in the order the docs present them.
var Rules = []Rule{
	{RuleSchema, Error, "The payload does not validate against the docker-worker v1 payload schema."},
	{RuleRemovedField, Error, "The payload uses a field docker-worker or d2g removed (features.dind, features.dockerSave, encryptedEnv, capabilities.containerEngine, relengAPIProxy…)."},
	{RuleConfigDisallowed, Error, "The payload asks for a capability or feature the worker pool's d2gConfig disallows: dwshim (as docker-worker) fails the task with malformed-payload; upstream d2g drops it silently."},
	{RuleMissingScopes, Error, "The task's scopes do not satisfy what its capabilities, features and caches require."},
	{RulePoolCacheScope, Warning, "A cache is granted only by docker-worker:cache:<name>:<pool>, which docker-worker and dwshim accept but d2g's converted task cannot use on generic-worker."},
	{RuleScopesUnverifiable, Warning, "Whether the task's scopes suffice depends on assume: roles that could not be expanded."},
	{RuleTaskImageDependency, Error, "A task-image image's taskId is not among the task's dependencies (d2g requires it)."},
	{RuleOnExitStatus, Error, "onExitStatus holds values generic-worker rejects (retry: unique integers >= 1; purgeCaches: unique integers >= 0)."},
	{RuleMaxRunTime, Error, "maxRunTime exceeds the worker pool's maxTaskRunTime."},
	{RuleImageReference, Error, "The image name is not a valid docker image reference."},
	{RuleUnresolvedReference, Error, "A taskgraph task-reference or artifact-reference stands where a value other than a string is required, or is malformed."},
	{RuleTaskDefinition, Error, "The task definition itself is malformed (payload not an object, scopes or dependencies not arrays of strings)."},
	{RuleRunTimeRefusal, Error, "The schema allows it, but a worker refuses it when the task runs: a NUL byte in env or command, an env name docker's --env-file rejects, an artifact name that is absolute, has \"..\" or is both a file and a directory, an artifact expiring after its task or outside years 0000–9999 in UTC, a cache name with \"::\", a task-image taskId that is not a slugid, an image artifact path or index namespace that is empty or over generic-worker's length limit."},
}

// warningRules are the rules that report a fact translate already warns
// about: lint takes the typed warning (its code) rather than re-deriving
// the fact, so the two cannot disagree.
var warningRules = map[translate.WarningCode]string{
	translate.WarnPoolCacheScope:      RulePoolCacheScope,
	translate.WarnScopeUnverifiable:   RuleScopesUnverifiable,
	translate.WarnTaskImageDependency: RuleTaskImageDependency,
}

// severityOf is the severity Rules gives the rule id.
func severityOf(id string) Severity {
	for _, r := range Rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return Error
}
