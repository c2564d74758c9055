#!/usr/bin/env bash
# Runs a one-node Keelson cluster from bin/ in the foreground (`make run` builds, then calls this).
#
# It starts keelson-apiserver with an embedded etcd, waits until /readyz answers, then starts every
# other daemon that has been built (scheduler, controller-manager, kubelet, proxy) against it and
# waits until each answers /healthz. It writes a kubeconfig and prints the line that exports it,
# then stays in the foreground. Ctrl-C (SIGINT) or SIGTERM stops everything it started: SIGTERM
# first, SIGKILL for what is still running after the grace period. If a daemon exits on its own,
# the script prints the end of its log, stops the rest and fails.
#
# Signals only set a flag; the script acts on it between steps. So a signal that arrives while a
# daemon is being started cannot miss it, and a second signal (make forwards SIGTERM to its child
# again) cannot kill the script halfway through stopping.
#
# State lives in .keelson/ at the repository root: etcd data in .keelson/etcd, one log per daemon
# in .keelson/logs/<component>.log (the previous run's in <component>.log.1), and
# .keelson/kubeconfig. Environment:
#   KEELSON_BIN_DIR       where the binaries are (default: bin/)
#   KEELSON_STATE_DIR     where state goes (default: .keelson/)
#   KEELSON_UP_TIMEOUT    seconds to wait for each daemon to become ready (default: 60)
#   KEELSON_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL on shutdown (default: 15)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${KEELSON_BIN_DIR:-$root/bin}
state=${KEELSON_STATE_DIR:-$root/.keelson}
up_timeout=${KEELSON_UP_TIMEOUT:-60}
stop_timeout=${KEELSON_STOP_TIMEOUT:-15}
host=127.0.0.1
api_port=6443
api="$host:$api_port"
# The kubelet's pods' cgroups go under this cgroup (one per state directory).
cgroup_root=keelson-$(printf '%s' "$state" | cksum | cut -d' ' -f1)

mkdir -p "$state/etcd" "$state/logs"
chmod 700 "$state/etcd"

# Processes this script started, in start order.
pids=()
names=()

# A closed terminal or pipe must not kill the script before it has stopped its daemons.
trap '' PIPE
log() { printf 'local-up: %s\n' "$*" >&2 || true; }

# tail_log COMPONENT prints the end of a component's log.
tail_log() {
	log "last lines of $state/logs/$1.log:"
	tail -n 40 "$state/logs/$1.log" >&2 || true
}

# stop_all stops every started process, newest first (the apiserver last, so the others can still
# reach it while they shut down), and waits for all of them. It is safe to call twice.
stop_all() {
	((${#pids[@]})) || return 0
	log "stopping ${names[*]}"
	local i
	# Each daemon leads its own process group (see start), so signalling the group reaches anything
	# it started too.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		signal TERM "${pids[i]}"
	done
	local deadline=$((SECONDS + stop_timeout))
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		while kill -0 "${pids[i]}" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2 # polling the process with a deadline
		done
		if kill -0 "${pids[i]}" 2>/dev/null; then
			log "${names[i]} still running after ${stop_timeout}s: killing it"
			signal KILL "${pids[i]}"
		fi
		wait "${pids[i]}" 2>/dev/null || true
	done
	pids=()
	names=()
	remove_cgroups
	log "stopped"
}

# remove_cgroups kills the kubelet's containers and their monitors, which outlive a kubelet on
# purpose (a restarted kubelet adopts them), and removes their cgroups, deepest first.
remove_cgroups() {
	local dirs d pid try
	mapfile -t dirs < <(find /sys/fs/cgroup/*/"$cgroup_root" /sys/fs/cgroup/"$cgroup_root" -depth -type d 2>/dev/null)
	((${#dirs[@]})) || return 0
	for try in 1 2 3 4 5 6 7 8 9 10; do
		for d in "${dirs[@]}"; do
			[[ -d $d ]] || continue
			while read -r pid; do
				kill -KILL "$pid" 2>/dev/null || true
			done <"$d/cgroup.procs"
			rmdir "$d" 2>/dev/null || true
		done
		mapfile -t dirs < <(find /sys/fs/cgroup/*/"$cgroup_root" /sys/fs/cgroup/"$cgroup_root" -depth -type d 2>/dev/null)
		((${#dirs[@]})) || return 0
		sleep 0.2 # killed processes take a moment to leave their cgroups
	done
	log "could not remove the cgroups ${dirs[*]}"
}

# signal SIG PID sends SIG to the process group PID leads, or to PID itself while it is still
# between fork and setsid and leads no group yet.
signal() {
	kill "-$1" -- "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null || true
}

# A signal sets stop_requested and nothing else; stop_if_requested acts on it between steps.
stop_requested=""
trap 'stop_requested=1' INT TERM
trap stop_all EXIT

stop_if_requested() {
	[[ -n $stop_requested ]] || return 0
	log "signal received"
	stop_all
	exit 0
}

# start COMPONENT ARGS... runs bin/keelson-COMPONENT in its own session and process group, so that
# a Ctrl-C in the terminal reaches only this script, which then stops the daemons in order.
start() {
	local component=$1
	shift
	local exe="$bin_dir/keelson-$component" out="$state/logs/$component.log"
	log "starting keelson-$component $*"
	if [[ -f $out ]]; then
		mv -f "$out" "$out.1" # keep the previous run's log, once
	fi
	setsid "$exe" "$@" >"$out" 2>&1 &
	pids+=("$!")
	names+=("$component")
	stop_if_requested
}

# wait_ready COMPONENT URL polls URL until it answers 200, failing with the component's log tail
# when the deadline passes or the process exits first.
wait_ready() {
	local component=$1 url=$2 pid=${pids[-1]}
	local deadline=$((SECONDS + up_timeout))
	until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
		stop_if_requested
		if ! kill -0 "$pid" 2>/dev/null; then
			log "keelson-$component exited before it was ready"
			tail_log "$component"
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			log "keelson-$component not ready at $url after ${up_timeout}s"
			tail_log "$component"
			log "$url?verbose says:"
			curl -sS --max-time 2 "$url?verbose" >&2 || true
			exit 1
		fi
		sleep 0.2 # polling readiness with a deadline
	done
	stop_if_requested
	log "keelson-$component ready ($url)"
}

# write_kubeconfig writes the kubeconfig beside its place and moves it there, so whoever waits for
# the file never reads it half-written.
write_kubeconfig() {
	local tmp="$state/kubeconfig.tmp"
	(umask 077 && cat >"$tmp") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: keelson
  cluster:
    server: http://$api
contexts:
- name: keelson
  context:
    cluster: keelson
    user: keelson-admin
current-context: keelson
users:
- name: keelson-admin
  user: {}
EOF
	mv -f "$tmp" "$state/kubeconfig"
}

if [[ ! -x $bin_dir/keelson-apiserver ]]; then
	log "$bin_dir/keelson-apiserver not found: run 'make build' (or 'make run') first"
	exit 1
fi
if curl -fsS --max-time 2 -o /dev/null "http://$api/readyz" 2>/dev/null; then
	log "something already answers on $api: stop the other cluster first"
	exit 1
fi

start apiserver --bind-address="$host" --port="$api_port" --data-dir="$state/etcd" --service-cluster-ip-range=127.96.0.0/16 --log-format=console
wait_ready apiserver "http://$api/readyz"

# component:health port, for each daemon besides the apiserver.
for spec in scheduler:10259 controller-manager:10257 kubelet:10248 proxy:10256; do
	component=${spec%%:*}
	port=${spec##*:}
	if [[ ! -x $bin_dir/keelson-$component ]]; then
		log "keelson-$component not built: skipping it"
		continue
	fi
	if [[ $component == kubelet ]]; then
		# The kubelet runs pods as host processes in cgroups under $cgroup_root; its state and
		# the pods' logs live in the state directory.
		start kubelet --apiserver="$api" --address="$host" --healthz-bind-address="$host" --healthz-port="$port" \
			--node-ip="$host" --root-dir="$state/kubelet" --pod-logs-dir="$state/pods" --cgroup-root="$cgroup_root" \
			--log-format=console
	else
		start "$component" --apiserver="$api" --bind-address="$host" --port="$port" --log-format=console
	fi
	wait_ready "$component" "http://$host:$port/healthz"
done

write_kubeconfig
stop_if_requested
cat <<EOF

Keelson is running (${names[*]}). Logs are in $state/logs/. In another terminal:

    export KUBECONFIG=$state/kubeconfig
    kubectl get nodes

Press Ctrl-C to stop the cluster.
EOF

# Stay in the foreground until a signal arrives or a daemon exits on its own. A signal that lands
# just before `wait -n` starts does not interrupt it, so the wait also ends when a one-second timer
# does, and the flag is checked again.
while true; do
	stop_if_requested
	sleep 1 &
	timer=$!
	exited=""
	wait -n -p exited "${pids[@]}" "$timer" || true
	kill "$timer" 2>/dev/null || true
	wait "$timer" 2>/dev/null || true
	stop_if_requested
	[[ -n $exited && $exited != "$timer" ]] || continue # a signal, or the timer
	for i in "${!pids[@]}"; do
		if [[ ${pids[i]} == "$exited" ]]; then
			log "keelson-${names[i]} exited on its own"
			tail_log "${names[i]}"
			unset 'pids[i]' 'names[i]'
			pids=("${pids[@]}")
			names=("${names[@]}")
			break
		fi
	done
	exit 1
done
