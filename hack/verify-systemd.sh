#!/usr/bin/env bash
# verify-systemd.sh runs `systemd-analyze verify` on every unit of deploy/systemd/ and fails on any
# finding, warnings included. systemd-analyze checks that each ExecStart binary exists, so the units
# are verified through a temporary copy whose /usr/local/bin/ paths point at the built bin/ and
# whose /usr/bin/etcd points at the etcd on PATH (Debian's etcd-server).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${KEELSON_BIN_DIR:-$root/bin}
etcd=$(command -v etcd || true)
if [ -z "$etcd" ]; then
	echo "verify-systemd: etcd is not on PATH (make deps installs etcd-server)" >&2
	exit 1
fi
for b in apiserver scheduler controller-manager kubelet proxy; do
	if [ ! -x "$bin/keelson-$b" ]; then
		echo "verify-systemd: $bin/keelson-$b is missing (make build)" >&2
		exit 1
	fi
done

units=("$root"/deploy/systemd/*.service)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "${units[@]}"; do
	sed -e "s#/usr/local/bin/#$bin/#g" -e "s#/usr/bin/etcd #$etcd #g" "$unit" >"$tmp/$(basename "$unit")"
done
out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./*.service 2>&1) || {
	echo "$out" >&2
	exit 1
}
if [ -n "$out" ]; then
	echo "verify-systemd: systemd-analyze verify has findings:" >&2
	echo "$out" >&2
	exit 1
fi
echo "verify-systemd: ${#units[@]} units pass systemd-analyze verify"
