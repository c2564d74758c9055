#!/usr/bin/env bash
# Runs a self-hosted one-node Keelson cluster from bin/ in the foreground (`make run` builds, then
# calls this).
#
# It starts only keelson-kubelet. The control plane runs as the kubelet's static pods: the script
# renders the templates in deploy/static-pods/local/ (the API server with an embedded etcd, the
# scheduler, the controller manager and the proxy) into the manifest directory the kubelet reads,
# and the kubelet runs them with the process runtime, with no API server to begin with. Once the
# API server it runs answers, the kubelet registers the node and creates a mirror pod in
# kube-system for each static pod. The script waits until the API server is ready, every daemon
# answers /healthz, the node is Ready and the four mirror pods exist; then it writes a kubeconfig,
# prints the line that exports it, what runs where with its logs and how long start-up took, and
# stays in the foreground.
#
# Ctrl-C (SIGINT) or SIGTERM stops everything: first the kubelet (so nothing restarts a
# container), then the static pods' processes, which outlive a kubelet on purpose (a restarted
# kubelet adopts them): SIGTERM to every process in the kubelet's cgroup tree (--cgroup-root), the
# API server last so the others can still reach it while they stop, SIGKILL for what is still
# running after the grace period, and the cgroups are removed. If the kubelet exits on its own,
# the script prints the end of its log, stops the rest and fails.
#
# Signals only set a flag; the script acts on it between steps. So a signal that arrives while
# the kubelet is being started cannot miss it, and a second signal (make forwards SIGTERM to its
# child again) cannot kill the script halfway through stopping.
#
# Everything speaks TLS: before starting, keelson-pki writes (or keeps) the cluster CA, the
# certificates and a kubeconfig per component in .keelson/pki; the admin's kubeconfig is copied
# to .keelson/kubeconfig once the cluster is up.
#
# State lives in .keelson/ at the repository root: the rendered manifests in .keelson/manifests,
# etcd data in .keelson/etcd, the kubelet's log in .keelson/logs/kubelet.log (the previous run's
# in kubelet.log.1), the containers' logs under .keelson/pods/, and .keelson/kubeconfig.
# Environment:
#   KEELSON_BIN_DIR       where the binaries are (default: bin/)
#   KEELSON_STATE_DIR     where state goes (default: .keelson/)
#   KEELSON_CGROUP_ROOT   the cgroup the kubelet's pods go under (default: keelson-<hash of the
#                         state directory>)
#   KEELSON_UP_TIMEOUT    seconds to wait for each step of start-up (default: 60)
#   KEELSON_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL on shutdown (default: 15)
#   KEELSON_RUN_STARTED_AT  when `make run` began (date +%s%N), to report start-up with the build
set -euo pipefail
started_at=$(date +%s%N)
run_started_at=${KEELSON_RUN_STARTED_AT:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$(cd "${KEELSON_BIN_DIR:-$root/bin}" && pwd)
state=${KEELSON_STATE_DIR:-$root/.keelson}
mkdir -p "$state"
state=$(cd "$state" && pwd)
up_timeout=${KEELSON_UP_TIMEOUT:-60}
stop_timeout=${KEELSON_STOP_TIMEOUT:-15}
templates=$root/deploy/static-pods/local
manifests=$state/manifests
pki=$state/pki
host=127.0.0.1
api_port=6443
api="$host:$api_port"
node=$(hostname | tr '[:upper:]' '[:lower:]')
# The kubelet's pods' cgroups go under this cgroup (one per state directory).
cgroup_root=${KEELSON_CGROUP_ROOT:-keelson-$(printf '%s' "$state" | cksum | cut -d' ' -f1)}
# The static pods, each with its health port; the API server's comes first.
static_pods=(kube-apiserver:$api_port kube-scheduler:10259 kube-controller-manager:10257 kube-proxy:10256)

mkdir -p "$state/etcd" "$state/logs"
chmod 700 "$state/etcd"

# The kubelet's PID once started.
kubelet_pid=""
# Set once the checks passed: from then on the cgroups under $cgroup_root are this run's to remove.
owns_cgroups=""

# A closed terminal or pipe must not kill the script before it has stopped its daemons.
trap '' PIPE
log() { printf 'local-up: %s\n' "$*" >&2 || true; }

# tail_log FILE prints the end of a log.
tail_log() {
	log "last lines of $1:"
	tail -n 40 "$1" >&2 || true
}

# cgroup_dirs lists the kubelet's cgroups in every hierarchy, deepest first.
cgroup_dirs() {
	find /sys/fs/cgroup/*/"$cgroup_root" /sys/fs/cgroup/"$cgroup_root" -depth -type d 2>/dev/null || true
}

# cgroup_pids [SUBTREE] lists the processes in the kubelet's cgroups, or in its SUBTREE of them.
# Every process is in every hierarchy, so one hierarchy tells: pids with cgroup v1, the unified one
# with v2.
cgroup_pids() {
	local top
	for top in /sys/fs/cgroup/pids/"$cgroup_root" /sys/fs/cgroup/"$cgroup_root" /sys/fs/cgroup/*/"$cgroup_root"; do
		[[ -d $top ]] || continue
		[[ -d $top/${1:-} ]] || return 0
		find "$top/${1:-}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
		return 0
	done
}

# is_apiserver PID says whether PID runs keelson-apiserver.
is_apiserver() {
	[[ $(readlink "/proc/$1/exe" 2>/dev/null) == */keelson-apiserver ]]
}

# stop_all stops the kubelet, then the static pods' processes, and removes the cgroups. It is safe
# to call twice.
stop_all() {
	# Stopping runs to its end. From here on this shell and everything it starts ignore INT and
	# TERM: a signal sent to the whole process group (Ctrl-C, a supervisor) also reaches the
	# subshells of $(...), which do not keep the script's traps, and one that died of it would
	# end the script halfway through under set -e. No step's failure ends it either.
	trap '' INT TERM
	set +e
	# Before its checks pass the script owns nothing: the cgroups may be another run's.
	[[ -n $owns_cgroups ]] || return 0
	if [[ -z $kubelet_pid ]] && [[ -z $(cgroup_dirs) ]]; then
		return 0
	fi
	log "stopping the kubelet and its pods"
	local deadline=$((SECONDS + stop_timeout)) stopping_at
	stopping_at=$(date +%s%N)
	if [[ -n $kubelet_pid ]]; then
		# The kubelet leads its own process group (see start_kubelet), so signalling the group
		# reaches anything it started there too.
		signal TERM "$kubelet_pid"
		while kill -0 "$kubelet_pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.1 # polling the process with a deadline
		done
		if kill -0 "$kubelet_pid" 2>/dev/null; then
			log "keelson-kubelet still running after ${stop_timeout}s: killing it"
			signal KILL "$kubelet_pid"
		fi
		wait "$kubelet_pid" 2>/dev/null || true
		kubelet_pid=""
		log "keelson-kubelet stopped ($(since "$stopping_at"))"
	fi
	stop_pods "$deadline"
	remove_cgroups
	log "stopped ($(since "$stopping_at"))"
}

# stop_pods DEADLINE sends SIGTERM to every container process in the kubelet's cgroups, the API
# server's last, and waits until they and their monitors (which end with them) have left or
# DEADLINE passes; remove_cgroups kills what is left. It looks again while it waits, since a
# monitor the kubelet launched just before it stopped may start its container only now. Each
# process gets one SIGTERM: a second one may cut a daemon's graceful shutdown short.
stop_pods() {
	local deadline=$1 pid pids others signalled=" " apiserver_too=""
	# The others release their leases and close their watches through the API server; give them
	# a moment to, then stop it too.
	local others_deadline=$((SECONDS + 3))
	while true; do
		mapfile -t pids < <(cgroup_pids kubepods)
		others=0
		for pid in "${pids[@]}"; do
			if is_apiserver "$pid"; then
				[[ -n $apiserver_too ]] || continue
			else
				others=$((others + 1))
			fi
			[[ $signalled == *" $pid "* ]] && continue
			kill -TERM "$pid" 2>/dev/null || true
			signalled+="$pid "
		done
		[[ -n $(cgroup_pids) ]] && ((SECONDS < deadline)) || return 0
		if [[ -z $apiserver_too ]] && ((others == 0 || SECONDS >= others_deadline)); then
			apiserver_too=1
			continue
		fi
		sleep 0.1 # polling the cgroups with a deadline
	done
}

# remove_cgroups kills whatever is still in the kubelet's cgroups and removes them, deepest first.
remove_cgroups() {
	local dirs pid try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		mapfile -t dirs < <(cgroup_dirs)
		((${#dirs[@]})) || return 0
		for pid in $(cgroup_pids); do
			log "killing $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)), still running under cgroup $cgroup_root"
			kill -KILL "$pid" 2>/dev/null || true
		done
		rmdir "${dirs[@]}" 2>/dev/null || true
		[[ -n $(cgroup_dirs) ]] || return 0
		sleep 0.2 # killed processes take a moment to leave their cgroups
	done
	log "could not remove the cgroups $(cgroup_dirs | tr '\n' ' ')"
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

# render TEMPLATE OUT replaces the ${KEELSON_*} placeholders of TEMPLATE (see
# deploy/static-pods/local/README.md) and writes the result to OUT, failing on an unknown one.
render() {
	local text
	text=$(<"$1")
	text=${text//'${KEELSON_BIN_DIR}'/$bin_dir}
	text=${text//'${KEELSON_STATE_DIR}'/$state}
	text=${text//'${KEELSON_HOST}'/$host}
	text=${text//'${KEELSON_API_PORT}'/$api_port}
	text=${text//'${KEELSON_NODE_NAME}'/$node}
	if [[ $text =~ \$\{KEELSON_[A-Z_]*\} ]]; then
		log "$1: unknown placeholder ${BASH_REMATCH[0]}"
		exit 1
	fi
	printf '%s\n' "$text" >"$2"
}

# render_manifests renders every static pod template into the manifest directory, replacing
# what a previous run left there.
render_manifests() {
	local tmpl spec name
	rm -rf "$manifests"
	mkdir -p "$manifests"
	for spec in "${static_pods[@]}"; do
		name=${spec%%:*}
		tmpl=$templates/$name.yaml.tmpl
		[[ -f $tmpl ]] || { log "$tmpl not found"; exit 1; }
		render "$tmpl" "$manifests/$name.yaml"
	done
}

# start_kubelet runs bin/keelson-kubelet in its own session and process group, so that a Ctrl-C
# in the terminal reaches only this script, which then stops everything in order.
start_kubelet() {
	local out="$state/logs/kubelet.log"
	local args=(--kubeconfig="$pki/kubelet-$node.kubeconfig" --address="$host"
		--tls-cert-file="$pki/kubelet-$node-serving.crt" --tls-private-key-file="$pki/kubelet-$node-serving.key"
		--client-ca-file="$pki/ca.crt" --healthz-bind-address="$host" --healthz-port=10248
		--hostname-override="$node" --node-ip="$host" --root-dir="$state/kubelet" --pod-logs-dir="$state/pods"
		--cgroup-root="$cgroup_root" --pod-manifest-path="$manifests" --log-format=console)
	log "starting keelson-kubelet ${args[*]}"
	if [[ -f $out ]]; then
		mv -f "$out" "$out.1" # keep the previous run's log, once
	fi
	setsid "$bin_dir/keelson-kubelet" "${args[@]}" >"$out" 2>&1 &
	kubelet_pid=$!
	stop_if_requested
}

# kubelet_alive fails, with the end of the kubelet's log, once the kubelet has exited.
kubelet_alive() {
	kill -0 "$kubelet_pid" 2>/dev/null && return 0
	log "keelson-kubelet exited"
	tail_log "$state/logs/kubelet.log"
	exit 1
}

# wait_until WHAT CMD... runs CMD until it succeeds, failing with WHAT and the kubelet's log tail
# when the deadline passes or the kubelet exits first.
wait_until() {
	local what=$1
	shift
	local deadline=$((SECONDS + up_timeout))
	until "$@"; do
		stop_if_requested
		kubelet_alive
		if ((SECONDS >= deadline)); then
			log "no $what after ${up_timeout}s"
			tail_log "$state/logs/kubelet.log"
			exit 1
		fi
		sleep 0.1 # polling with a deadline
	done
	stop_if_requested
	log "$what ($(since "$started_at"))"
}

# since NANOS prints the seconds since NANOS (from date +%s%N), to the millisecond.
since() {
	local ms=$((($(date +%s%N) - $1) / 1000000))
	printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# healthy URL says whether URL answers 200.
healthy() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }

# api_ready says whether the API server answers /readyz over TLS with the cluster's CA.
api_ready() {
	curl -fsS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
		-o /dev/null "https://$api/readyz" 2>/dev/null
}

# generate_pki writes the cluster's CA, certificates and kubeconfigs into $pki, keeping what a
# previous run made that still fits.
generate_pki() {
	"$bin_dir/keelson-pki" --dir "$pki" --kubeconfig-dir "$pki" --server "https://$api" \
		--service-cluster-ip-range 127.96.0.0/16 --nodes "$node" >/dev/null
	chmod 700 "$pki"
}

# kubectl_get ARGS... runs kubectl against the cluster with a short request timeout.
kubectl_get() { kubectl --kubeconfig="$state/kubeconfig.tmp" --request-timeout=2s get "$@" 2>/dev/null; }

# node_and_mirrors_ready says whether the node is Ready and each static pod has a Running, ready
# mirror pod in kube-system (one kubectl call: each costs a process start).
node_and_mirrors_ready() {
	local objects=(node/"$node") want=("Node/$node:::True") spec have w
	for spec in "${static_pods[@]}"; do
		objects+=(pod/"${spec%%:*}-$node")
		want+=("Pod/${spec%%:*}-$node:mirror:Running:True")
	done
	have=$(kubectl_get -n kube-system "${objects[@]}" -o 'jsonpath={range .items[*]}{.kind}/{.metadata.name}:{.metadata.annotations.kubernetes\.io/config\.mirror}:{.status.phase}:{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
		sed -E 's/^(Pod[^:]*):[0-9a-f]+:/\1:mirror:/')
	for w in "${want[@]}"; do
		grep -qxF "$w" <<<"$have" || return 1
	done
}

# write_kubeconfig copies the admin's kubeconfig to FILE.
write_kubeconfig() {
	(umask 077 && cp "$pki/kubeconfig" "$1")
}

# container_logs prints, for each static pod, the log file of its container's current run.
container_logs() {
	local spec name f
	for spec in "${static_pods[@]}"; do
		name=${spec%%:*}
		f=$(ls -t "$state/pods/kube-system_$name-${node}_"*/"$name"/*.log 2>/dev/null | head -1 || true)
		printf '    %-26s %s\n' "$name" "${f:-$state/pods/kube-system_$name-${node}_*/$name/}"
	done
}

for component in kubelet apiserver scheduler controller-manager proxy pki; do
	if [[ ! -x $bin_dir/keelson-$component ]]; then
		log "$bin_dir/keelson-$component not found: run 'make build' (or 'make run') first"
		exit 1
	fi
done
command -v kubectl >/dev/null || { log "kubectl is not on PATH (see 'make deps')"; exit 1; }
if healthy "http://$api/readyz" || curl -fsSk --max-time 2 -o /dev/null "https://$api/readyz" 2>/dev/null; then
	log "something already answers on $api: stop the other cluster first"
	exit 1
fi
owns_cgroups=1
if [[ -n $(cgroup_dirs) ]]; then
	log "removing the pods a previous run left in cgroup $cgroup_root"
	stop_pods $((SECONDS + stop_timeout))
	remove_cgroups
fi
rm -f "$state/kubeconfig"

generate_pki
log "certificates and kubeconfigs in $pki"
render_manifests
log "rendered ${static_pods[*]%%:*} into $manifests"
start_kubelet
wait_until "keelson-kubelet healthy" healthy "http://$host:10248/healthz"
wait_until "kube-apiserver ready" api_ready
for spec in "${static_pods[@]:1}"; do
	wait_until "${spec%%:*} healthy" healthy "http://$host:${spec##*:}/healthz"
done
# The kubeconfig takes its place only once everything is up: whoever waits for it may use the
# cluster at once, and never reads it half-written.
write_kubeconfig "$state/kubeconfig.tmp"
wait_until "node $node Ready, control-plane mirror pods Running in kube-system" node_and_mirrors_ready
mv -f "$state/kubeconfig.tmp" "$state/kubeconfig"
stop_if_requested
cat <<EOF

Keelson is running (up in $(since "$started_at")${run_started_at:+; $(since "$run_started_at") since make run began, build included}). In another terminal:

    export KUBECONFIG=$state/kubeconfig
    kubectl get nodes
    kubectl get pods -n kube-system

The API server serves TLS on https://$api; the admin's kubeconfig is $state/kubeconfig, and the
CA, certificates and every component's kubeconfig are in $pki. With grpcurl:

    grpcurl -cacert $pki/ca.crt -cert $pki/admin.crt -key $pki/admin.key $api list

Started keelson-kubelet (pid $kubelet_pid, node $node; log: $state/logs/kubelet.log). It runs
the static pods of $manifests, with their containers' logs in:
$(container_logs)
Pods' cgroups: $cgroup_root. Press Ctrl-C to stop the cluster.
EOF

# Stay in the foreground until a signal arrives or the kubelet exits on its own. A trapped signal
# ends `wait` at once; one that lands just before the wait starts is seen when the one-second timer
# ends. The wait is for the timer alone: a signal sent to the whole process group kills the timer
# too, and `wait -n` on a set holding a timer already reaped waits for the kubelet alone, that is
# for ever.
while true; do
	stop_if_requested
	sleep 1 &
	timer=$!
	wait "$timer" 2>/dev/null || true
	kill "$timer" 2>/dev/null || true
	stop_if_requested
	kill -0 "$kubelet_pid" 2>/dev/null && continue
	log "keelson-kubelet exited on its own"
	tail_log "$state/logs/kubelet.log"
	wait "$kubelet_pid" 2>/dev/null || true
	kubelet_pid=""
	exit 1
done
