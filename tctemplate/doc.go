// Package tctemplate renders the templates tasks come from, so lint can
// check the tasks Taskcluster would create:
//
//   - .taskcluster.yml version 1: the whole file is a JSON-e template that
//     Taskcluster-GitHub renders for each webhook event with {tasks_for,
//     event, taskcluster_root_url, as_slugid}; taskgraph's cron and action
//     hooks render the same file with tasks_for "cron", "action" or
//     "pr-action" (and Gecko's with "hg-push"). Render renders it for push
//     (each branch the template compares refs/heads/… against), tag,
//     pull_request opened and synchronize, release, and every other
//     tasks_for the template names.
//   - .taskcluster.yml version 0: {{ name }} substitution with the event's
//     flat details ({{ event.head.repo.url }}, {{ '1 year' | $fromNow }}),
//     then each task kept for the events its extra.github.events lists, with
//     the GITHUB_* env variables when extra.github.env is set, as
//     taskcluster-github's VersionZero did.
//   - hook definitions ({task, triggerSchema, schedule, bindings}): the task
//     template rendered with {firedBy, taskId, payload} for each way the hook
//     can fire (triggerHook with a payload made from triggerSchema, schedule,
//     pulseMessage when it has bindings).
//
// Every rendered task keeps a map back to the template, so a problem found
// at a pointer in the rendered task is reported at the template's
// file:line:column. Rendering errors are reported the same way.
package tctemplate
