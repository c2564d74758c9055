#!/usr/bin/env bash
# verify-haproxy.sh runs `haproxy -c` on deploy/haproxy/haproxy.cfg. The configuration reads the
# cluster CA from /etc/keelson/pki for its TLS health checks; the check runs on a copy whose
# ca-base points at a throwaway CA, so it passes on a machine that is no master.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command -v haproxy >/dev/null || { echo "verify-haproxy: haproxy is not on PATH (make deps installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=verify-haproxy \
	-keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null
sed -e "s#^\([[:space:]]*ca-base\) /etc/keelson/pki#\1 $tmp#" "$root/deploy/haproxy/haproxy.cfg" >"$tmp/haproxy.cfg"
haproxy -c -f "$tmp/haproxy.cfg"
