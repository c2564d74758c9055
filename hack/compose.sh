#!/usr/bin/env bash
# compose.sh runs the docker-compose dev cluster of deploy/compose with Debian's podman and
# podman-compose (see deploy/compose/README.md):
#
#   compose.sh containers-conf   set podman's default_ulimits within this machine's hard limits
#   compose.sh up                assemble the images' files and the PKI, build the images, start
#                                the cluster (or keep the one running) and wait until every node
#                                is Ready through HAProxy
#   compose.sh down              stop and remove the cluster's containers and network
#
# `make compose-up` builds the static Keelson binaries into deploy/compose/build first; `up`
# copies etcd and HAProxy from Debian's packages with the shared libraries ldd lists for them,
# busybox for the pods' commands, and writes the certificates and kubeconfigs with keelson-pki
# into build/pki (kept across runs). The admin's kubeconfig, build/kubeconfig, reaches HAProxy on
# 127.0.0.1.
#
# Environment:
#   KEELSON_COMPOSE_API_PORT    HAProxy's port on 127.0.0.1 (default 16443)
#   KEELSON_COMPOSE_PROJECT     the podman-compose project name (default keelson)
#   KEELSON_COMPOSE_UP_TIMEOUT  seconds to wait for the nodes to be Ready (default 300)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/deploy/compose
build=$dir/build
file=$dir/docker-compose.yml
project=${KEELSON_COMPOSE_PROJECT:-keelson}
export KEELSON_COMPOSE_API_PORT=${KEELSON_COMPOSE_API_PORT:-16443}
up_timeout=${KEELSON_COMPOSE_UP_TIMEOUT:-300}
nodes=(node-1 node-2)
containers_conf=/etc/containers/containers.conf

log() { printf 'compose: %s\n' "$*" >&2; }

# compose runs podman-compose on the file. Containers run with runc: crun refuses the hybrid
# cgroup layout of machines whose cgroup v2 hierarchy holds a controller (crun: "cgroups in hybrid
# mode not supported"), which runc, using the v1 hierarchies, accepts.
compose() { podman-compose -p "$project" -f "$file" --podman-args=--runtime=runc "$@"; }

# services lists the file's services, one a line.
services() { docker-compose -p "$project" -f "$file" config --services; }

# containers_conf sets default_ulimits in /etc/containers/containers.conf, unless it is set
# already: podman's defaults (nofile 1048576, nproc 4194304) exceed the hard limits of some
# machines, and then every container fails to start. The values are this machine's hard limits,
# nproc capped at 32768.
containers_conf() {
	if grep -qE '^[[:space:]]*default_ulimits[[:space:]]*=' "$containers_conf" 2>/dev/null; then
		return 0
	fi
	local nofile nproc line
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[[ $nofile == unlimited ]] && nofile=1048576
	[[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
	line="default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
	mkdir -p "$(dirname "$containers_conf")"
	if grep -qE '^[[:space:]]*\[containers\]' "$containers_conf" 2>/dev/null; then
		sed -i -E "0,/^[[:space:]]*\[containers\]/s//[containers]\n$line/" "$containers_conf"
	else
		printf '\n[containers]\n%s\n' "$line" >>"$containers_conf"
	fi
	log "set $line in $containers_conf"
}

# copy_with_libs BINARY ROOTFS copies BINARY and every shared library ldd names for it, the
# dynamic loader included, into ROOTFS at the same paths.
copy_with_libs() {
	local bin=$1 rootfs=$2 lib
	install -D -m 0755 "$bin" "$rootfs$bin"
	for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
		install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
	done
}

# assemble lays out the images' files and the PKI under build/.
assemble() {
	local b
	for b in control-plane/usr/local/bin/keelson-apiserver control-plane/usr/local/bin/keelson-scheduler \
		control-plane/usr/local/bin/keelson-controller-manager node/usr/local/bin/keelson-kubelet \
		node/usr/local/bin/keelson-kubelet-monitor node/usr/local/bin/keelson-proxy tools/keelson-pki; do
		[[ -x $build/$b ]] || { log "$build/$b not found: run 'make compose-up'"; exit 1; }
	done
	rm -rf "$build/etcd" "$build/haproxy" "$build/node/bin" "$build/control-plane/bin"
	copy_with_libs "$(command -v etcd)" "$build/etcd"
	copy_with_libs "$(command -v haproxy)" "$build/haproxy"
	# Debian's busybox is static. On a node the links are the programs the pods may name; the
	# control plane's image needs sh and hostname.
	install -D -m 0755 /bin/busybox "$build/node/bin/busybox"
	for b in sh ash cat date echo env false grep hostname httpd id kill ls nc ps sleep tail test true wget; do
		ln -s busybox "$build/node/bin/$b"
	done
	install -D -m 0755 /bin/busybox "$build/control-plane/bin/busybox"
	ln -s busybox "$build/control-plane/bin/sh"
	ln -s busybox "$build/control-plane/bin/hostname"
	"$build/tools/keelson-pki" --dir "$build/pki" --kubeconfig-dir "$build/pki" \
		--server "https://127.0.0.1:$KEELSON_COMPOSE_API_PORT" --service-cluster-ip-range 127.96.0.0/16 \
		--apiserver-cert-extra-sans apiserver-1,apiserver-2,haproxy \
		--nodes "$(IFS=,; echo "${nodes[*]}")" >/dev/null
	(umask 077 && cp "$build/pki/kubeconfig" "$build/kubeconfig")
	log "assembled the images' files and the PKI in $build"
}

# fail_with_log WHAT fails, printing the end of podman-compose's log.
fail_with_log() {
	log "$1 failed; the end of $build/podman-compose.log:"
	tail -n 40 "$build/podman-compose.log" >&2
	exit 1
}

# running says whether every service of the file has a running container.
running() {
	local want have
	want=$(services | wc -l)
	have=$(podman ps -q --filter "label=io.podman.compose.project=$project" --filter status=running | wc -l)
	((want > 0 && have >= want))
}

# nodes_ready says whether kubectl, through HAProxy, sees every node Ready.
nodes_ready() {
	local have n
	have=$(kubectl --kubeconfig "$build/kubeconfig" --request-timeout=2s get nodes \
		-o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null) || return 1
	for n in "${nodes[@]}"; do
		grep -qxF "$n=True" <<<"$have" || return 1
	done
}

up() {
	local started=$SECONDS up_at=""
	containers_conf
	assemble
	if running; then
		log "project $project is running already"
	else
		# podman-compose prints every podman command it runs: that goes to a log, shown on failure.
		compose build >"$build/podman-compose.log" 2>&1 || fail_with_log "podman-compose build"
		log "images built: $(podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' --filter reference='localhost/keelson/*' | tr '\n' ',' | sed 's/,$//; s/,/, /g') ($((SECONDS - started))s)"
		up_at=$SECONDS
		compose up -d >>"$build/podman-compose.log" 2>&1 || fail_with_log "podman-compose up"
		log "containers started ($((SECONDS - started))s); podman-compose's output is in $build/podman-compose.log"
	fi
	local deadline=$((SECONDS + up_timeout))
	until nodes_ready; do
		if ((SECONDS >= deadline)); then
			log "nodes not Ready through HAProxy after ${up_timeout}s; the containers:"
			podman ps -a --filter "label=io.podman.compose.project=$project" >&2
			log "podman logs ${project}_<service>_1 shows a service's log; the end of $build/podman-compose.log:"
			tail -n 20 "$build/podman-compose.log" >&2
			exit 1
		fi
		sleep 1 # polling the cluster with a deadline
	done
	kubectl --kubeconfig "$build/kubeconfig" get nodes -o wide
	local ready="every node Ready through HAProxy (it was up already)"
	if [[ -n $up_at ]]; then
		ready="every node Ready through HAProxy $((SECONDS - up_at))s after 'podman-compose up',
$((SECONDS - started))s after 'hack/compose.sh up' began (image builds included)"
	fi
	cat <<EOF

The compose cluster is up: $ready.

    export KUBECONFIG=$build/kubeconfig
    kubectl get nodes

HAProxy listens on 127.0.0.1:$KEELSON_COMPOSE_API_PORT. Logs: podman logs ${project}_<service>_1
(services: $(services | tr '\n' ' ')). 'make compose-down' stops it.
EOF
}

down() {
	compose down
	log "project $project is down"
}

case ${1:-} in
containers-conf) containers_conf ;;
up) up ;;
down) down ;;
*)
	echo "usage: $0 containers-conf|up|down" >&2
	exit 2
	;;
esac
