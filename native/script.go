package native

import (
	"slices"
	"strings"
)

// The scripts below are the only shell text in a native payload. They are
// constant but for the HostEnv names (a fixed list of identifiers), and
// read every task value from "$@" or the environment, always quoted.

// imageHead records the start time for the run script's maxRunTime watchdog.
const imageHead = `set -u
date +%s > ` + StartFile + `
`

// pullScript pulls "$1"; when the registry is unreachable it falls back to
// a copy already on the host, and pins the image ID for the run.
func pullScript(cot bool) string {
	s := imageHead + `if ! docker pull -- "$1"; then
  docker image inspect -- "$1" > /dev/null 2>&1 || exit 1
  echo "dwshim: could not pull the image; using the copy already on this host" >&2
fi
docker image inspect --format '{{.Id}}' -- "$1" > ` + ImageIDFile + ` || exit 1
`
	if cot {
		s += `printf '{"environment":{"imageHash":"%s"}}\n' "$(cat ` + ImageIDFile + `)" > chain-of-trust-additional-data.json
`
	}
	return s
}

// loadScript loads the image file generic-worker downloaded (and, for lz4
// and zstd, decompressed) and pins the ID of the image it names.
func loadScript(cot bool) string {
	s := imageHead + `out=$(docker load --input ` + ImageFile + `) || { printf '%s\n' "$out" >&2; exit 1; }
printf '%s\n' "$out"
ref=$(printf '%s\n' "$out" | sed -n -e 's/^Loaded image: //p' -e 's/^Loaded image ID: //p' | head -n 1)
if [ -z "$ref" ]; then echo "dwshim: docker load did not name the image it loaded" >&2; exit 1; fi
docker image inspect --format '{{.Id}}' -- "$ref" > ` + ImageIDFile + ` || exit 1
`
	if cot {
		s += `sum=$(sha256sum ` + ImageFile + ` | cut -d ' ' -f 1)
printf '{"environment":{"imageArtifactHash":"sha256:%s","imageHash":"%s"}}\n' "$sum" "$(cat ` + ImageIDFile + `)" > chain-of-trust-additional-data.json
`
	}
	return s
}

// runScript runs the container. Arguments:
//
//	OPTS MAXRUNTIME DEADLINE NA (SRC DEST)×NA NV (HOSTDIR:PATH)×NV FLAGS... -- COMMAND...
//
// OPTS is "-" or a comma list of proxy and video. At DEADLINE seconds
// after the first command started (just before generic-worker's
// MAXRUNTIME) the watchdog logs docker-worker's timeout line, kills the
// container, copies the artifacts out and removes it; the script then
// waits for generic-worker's own maxRunTime abort, so the task is resolved
// failed whatever onExitStatus says. The container is removed on exit
// whatever happens, and a reaper in its own session (out of reach of
// generic-worker's SIGKILL to the process group) removes it as soon as
// this script is gone, so it never outlives the task. Otherwise the script
// exits with docker run's exit code.
func runScript(hostEnv []string) string {
	var env strings.Builder
	for _, n := range hostEnv {
		if !slices.Contains(HostEnv, n) {
			continue // never: only HostEnv names are renamed
		}
		env.WriteString(`printf '%s=%s\n' ` + n + ` "$` + HostEnvPrefix + n + `" >> ` + EnvFile + "\n")
	}
	head := ""
	if env.Len() > 0 {
		head = ": > " + EnvFile + "\n" + env.String()
	}
	return `set -u
name="dwshim_${TASK_ID}_${RUN_ID}"
taskdir=$(pwd -P)
watchdog=
cleanup() {
  if [ -n "$watchdog" ]; then kill "$watchdog" 2> /dev/null; fi
  docker rm --force --volumes "$name" > /dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
reap='while kill -0 "$1" 2> /dev/null; do sleep 1; done; docker rm --force --volumes "$2" > /dev/null 2>&1'
if command -v setsid > /dev/null 2>&1; then
  setsid sh -c "$reap" dwshim-reaper "$$" "$name" < /dev/null > /dev/null 2>&1 &
else
  echo "dwshim: setsid not found: the container is not removed if generic-worker kills this script" >&2
fi
img=$(cat ` + ImageIDFile + `) || exit 125
opts=$1
maxrun=$2
deadline=$3
shift 3
` + head + `copy_out() {
  n=$1
  shift
  while [ "$n" -gt 0 ]; do
    docker cp "$name:$1" "$2" || echo "dwshim: artifact not found in the container at $1" >&2
    shift 2
    n=$((n - 1))
  done
}
run() {
  shift $((1 + 2 * $1))
  nv=$1
  shift
  total=$#
  set -- "$@" --name "$name"
  case ",$opts," in *,proxy,*)
    set -- "$@" --network "$TASKCLUSTER_DOCKER_NETWORK" --add-host "taskcluster:$TASKCLUSTER_PROXY_GATEWAY" ;;
  esac
  case ",$opts," in *,video,*) set -- "$@" --device "$TASKCLUSTER_VIDEO_DEVICE" ;; esac
  i=0
  pending=1
  while [ "$i" -lt "$total" ]; do
    if [ "$i" -lt "$nv" ]; then
      mkdir -p "$taskdir/${1%%:*}"
      set -- "$@" --volume "$taskdir/$1"
    elif [ "$pending" = 1 ] && [ "$1" = "--" ]; then
      set -- "$@" -- "$img"
      pending=0
    else
      set -- "$@" "$1"
    fi
    shift
    i=$((i + 1))
  done
  docker run "$@"
}
start=$(cat ` + StartFile + ` 2> /dev/null || date +%s)
left=$((start + deadline - $(date +%s)))
if [ "$left" -lt 0 ]; then left=0; fi
rm -f ` + TimeoutFile + `
(
  sleep "$left" < /dev/null > /dev/null 2>&1
  : > ` + TimeoutFile + `
  echo "[taskcluster:error] Task timeout after $maxrun seconds. Force killing container." >&2
  docker kill "$name" > /dev/null 2>&1
) &
watchdog=$!
run "$@"
code=$?
if [ -e ` + TimeoutFile + ` ]; then
  watchdog=
  copy_out "$@"
  docker rm --force --volumes "$name" > /dev/null 2>&1
  echo "dwshim: the container was stopped $((maxrun - deadline)) s before generic-worker's maxRunTime of $maxrun s to keep its artifacts; the task ends at maxRunTime" >&2
  left=$((start + maxrun + 30 - $(date +%s)))
  if [ "$left" -gt 0 ]; then sleep "$left"; fi
  exit 124
fi
copy_out "$@"
exit "$code"
`
}
