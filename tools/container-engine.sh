#!/usr/bin/env bash
# Copyright The otelcol-llm Authors
# SPDX-License-Identifier: Apache-2.0
#
# A container engine for `make image` and `make image-test`.
#
# Usage: tools/container-engine.sh start | stop | env | status | run CMD [ARG...]
#
#   start   If `docker info` answers (DOCKER_HOST, or the default socket), use
#           that engine and change nothing. Otherwise start a private dockerd:
#           install the Debian package docker.io first if dockerd is missing
#           (apt-get, root), then run `dockerd --bridge=none --iptables=false
#           --ip6tables=false` with its own socket, data root, exec root and
#           pidfile under $CONTAINER_ENGINE_DIR (default: .tmp/container-engine
#           of the repository, git-ignored), and wait until it answers. It
#           creates no network interface and no firewall rule: containers run
#           with `--network host` (or none). Prints `DOCKER_HOST=...` on stdout.
#   stop    Stop the private dockerd, if one runs (by the pid of its pidfile).
#           An engine this script did not start is never touched.
#   env     Print `export DOCKER_HOST=...` for the private dockerd if it runs
#           (eval "$(tools/container-engine.sh env)").
#   status  Exit 0 if an engine answers (and say which), else 1.
#   run     start, run CMD with DOCKER_HOST exported, then stop the dockerd if
#           this very command started it (also when CMD fails or is
#           interrupted). Exits with CMD's status.
#
# Exit status 77 (start and run): SKIPPED, no container engine answers and
# none can be started here (not root, or neither dockerd nor apt-get). The
# loud "SKIPPED: ..." line goes to stderr and, if CONTAINER_ENGINE_SKIP_FILE
# is set, into that file (make image-test hands it to the test, which skips
# with it). Every other failure (the install or the daemon fails) exits 1.
#
# Environment: CONTAINER_ENGINE_DIR (state directory), DOCKERD_START_TIMEOUT
# (seconds to wait for the daemon, default 60), DOCKER (client, default docker).
set -euo pipefail

readonly SKIP_STATUS=77

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${CONTAINER_ENGINE_DIR:-$repo/.tmp/container-engine}"
# containerd puts its sockets under the exec root; a unix socket path has at
# most 107 bytes, so a deep checkout keeps its exec root under /tmp.
exec_root="$state/run"
if ((${#exec_root} > 60)); then
	exec_root="/tmp/otelcol-llm-engine-$(printf '%s' "$state" | cksum | cut -d' ' -f1)"
fi
readonly sock="$state/docker.sock"
readonly pidfile="$state/dockerd.pid"
readonly logfile="$state/dockerd.log"
readonly private_host="unix://$sock"
docker_cli="${DOCKER:-docker}"
timeout_s="${DOCKERD_START_TIMEOUT:-60}"

log() { echo "container-engine: $*" >&2; }

skip() {
	local msg="SKIPPED: no container engine: $*"
	{
		echo
		echo "*************************************************************************"
		echo "  $msg"
		echo "*************************************************************************"
		echo
	} >&2
	if [[ -n "${CONTAINER_ENGINE_SKIP_FILE:-}" ]]; then
		printf '%s\n' "$msg" >"$CONTAINER_ENGINE_SKIP_FILE"
	fi
	exit "$SKIP_STATUS"
}

# answers HOST: does an engine answer at HOST ("" = the client's default)?
answers() {
	command -v "$docker_cli" >/dev/null || return 1
	if [[ -n "$1" ]]; then
		DOCKER_HOST="$1" timeout 20 "$docker_cli" info >/dev/null 2>&1
	else
		timeout 20 "$docker_cli" info >/dev/null 2>&1
	fi
}

# private_pid: the pid of the private dockerd if it runs (its pidfile names a
# live dockerd process), else nothing and status 1.
private_pid() {
	[[ -f "$pidfile" ]] || return 1
	local pid
	pid="$(<"$pidfile")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
	echo "$pid"
}

install_docker() {
	if ((EUID != 0)); then
		skip "dockerd is not installed and installing the Debian package docker.io needs root (run as root, or start an engine and set DOCKER_HOST)"
	fi
	if ! command -v apt-get >/dev/null; then
		skip "dockerd is not installed and there is no apt-get to install docker.io (install Docker, or set DOCKER_HOST)"
	fi
	log "dockerd is missing: apt-get install docker.io"
	local start=$SECONDS
	local apt=(apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends docker.io)
	if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >&2; then
		log "apt-get install failed: apt-get update, then again"
		apt-get -o DPkg::Lock::Timeout=300 update >&2
		DEBIAN_FRONTEND=noninteractive "${apt[@]}" >&2
	fi
	log "docker.io installed in $((SECONDS - start)) s"
}

# start_private: start the private dockerd and wait until it answers.
start_private() {
	if ! command -v dockerd >/dev/null || ! command -v "$docker_cli" >/dev/null; then
		install_docker
	fi
	if ((EUID != 0)); then
		skip "no engine answers (docker info) and dockerd needs root to start (run as root, or start an engine and set DOCKER_HOST)"
	fi
	mkdir -p "$state" "$state/data" "$exec_root"
	echo '{}' >"$state/daemon.json"
	local start=$SECONDS
	log "starting dockerd ($private_host, log $logfile)"
	# setsid: the daemon is not in the caller's process group, so an
	# interrupt of make reaches it only through stop (the trap of run).
	setsid dockerd \
		--host "$private_host" \
		--config-file "$state/daemon.json" \
		--data-root "$state/data" \
		--exec-root "$exec_root" \
		--pidfile "$pidfile" \
		--bridge=none --iptables=false --ip6tables=false \
		--log-level=warn \
		</dev/null >"$logfile" 2>&1 &
	local pid=$!
	local deadline=$((SECONDS + timeout_s))
	until answers "$private_host"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "dockerd exited during start-up; its log:"
			tail -n 30 "$logfile" >&2
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			log "dockerd did not answer within ${timeout_s} s; its log:"
			tail -n 30 "$logfile" >&2
			stop_private
			exit 1
		fi
		sleep 0.2
	done
	log "dockerd (pid $pid) answers after $((SECONDS - start)) s"
}

stop_private() {
	local pid
	if ! pid="$(private_pid)"; then
		unmount_leftovers
		return 0
	fi
	log "stopping dockerd (pid $pid)"
	kill -TERM "$pid"
	local deadline=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			log "dockerd (pid $pid) still runs 30 s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rm -f "$pidfile"
	unmount_leftovers
}

# unmount_leftovers: dockerd leaves its bind mount of the host's network
# namespace behind when it stops; without it the state directory can be
# deleted (rm -rf .tmp, git clean).
unmount_leftovers() {
	local ns="$exec_root/netns/default"
	if [[ -e "$ns" ]] && mountpoint -q "$ns"; then
		umount "$ns" || log "could not unmount $ns"
	fi
}

# ensure: make an engine answer; prints the DOCKER_HOST to use ("" = the
# client's default) and sets started=1 if it started the private dockerd.
started=0
ensure() {
	if [[ -n "${DOCKER_HOST:-}" ]] && answers "$DOCKER_HOST"; then
		host="$DOCKER_HOST"
	elif [[ -z "${DOCKER_HOST:-}" ]] && answers ""; then
		host=""
	elif private_pid >/dev/null && answers "$private_host"; then
		host="$private_host"
	else
		start_private
		started=1
		host="$private_host"
	fi
}

cmd="${1:-}"
case "$cmd" in
start)
	ensure
	if [[ -n "$host" ]]; then echo "DOCKER_HOST=$host"; fi
	;;
stop)
	stop_private
	;;
env)
	if private_pid >/dev/null; then echo "export DOCKER_HOST=$private_host"; fi
	;;
status)
	if [[ -n "${DOCKER_HOST:-}" ]] && answers "$DOCKER_HOST"; then
		echo "engine at DOCKER_HOST=$DOCKER_HOST"
	elif [[ -z "${DOCKER_HOST:-}" ]] && answers ""; then
		echo "engine at the client's default socket"
	elif private_pid >/dev/null && answers "$private_host"; then
		echo "private dockerd (pid $(private_pid)) at $private_host"
	else
		echo "no engine answers"
		exit 1
	fi
	;;
run)
	shift
	(($# > 0)) || { echo "usage: $0 run CMD [ARG...]" >&2; exit 2; }
	ensure
	if ((started)); then
		trap stop_private EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	if [[ -n "$host" ]]; then export DOCKER_HOST="$host"; fi
	status=0
	"$@" || status=$?
	exit "$status"
	;;
*)
	echo "usage: $0 start | stop | env | status | run CMD [ARG...]" >&2
	exit 2
	;;
esac
