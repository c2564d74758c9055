#!/usr/bin/env bash
# Enforces the dependency rules of the workspace (proto <- pkg <- daemons <- test) on every package
# and its tests, over the full transitive dependency graph that `go list` reports:
#   - no daemon module (apiserver, scheduler, controller-manager, kubelet, proxy) depends on another;
#   - pkg and proto never depend on a daemon, and proto never on pkg;
#   - nothing but the test module depends on the test module;
#   - only apiserver and test depend on go.etcd.io/etcd/client/v3 or go.etcd.io/etcd/server/v3.
# Each violation is printed as "<package> imports <import>: <rule>" (or "depends on ... through a
# third-party package" when no package of ours imports it directly), and the script fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

module_path=github.com/keelson-dev/keelson
modules=(proto pkg apiserver scheduler controller-manager kubelet proxy test)
patterns=()
for m in "${modules[@]}"; do
	patterns+=("$module_path/$m/...")
done

# One line per package (tests included): import path, then its direct imports, then all deps.
# -e keeps going past packages that do not build (go vet reports those); a failure of go list
# itself stops the check.
if ! graph=$(go list -e -test -f '{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}' "${patterns[@]}" 2>"${TMPDIR:-/tmp}/verify-imports.$$"); then
	echo "verify-imports: go list failed:" >&2
	cat "${TMPDIR:-/tmp}/verify-imports.$$" >&2
	rm -f "${TMPDIR:-/tmp}/verify-imports.$$"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/verify-imports.$$"

violations=$(awk -F'|' -v mp="$module_path" '
function module(p,    rest, parts) {
	sub(/ .*/, "", p)                      # "x [x.test]" -> "x"
	if (index(p, mp "/") != 1) return ""
	rest = substr(p, length(mp) + 2)
	split(rest, parts, "/")
	sub(/(_test|\.test)$/, "", parts[1])
	return parts[1]
}
function isdaemon(m) { return m == "apiserver" || m == "scheduler" || m == "controller-manager" || m == "kubelet" || m == "proxy" }
function etcd(d) { return d ~ /^go\.etcd\.io\/etcd\/(client|server)\/v3(\/|$)/ }
# root names what d belongs to: an etcd module or one of our modules, else d itself.
function root(d,    dm) {
	if (match(d, /^go\.etcd\.io\/etcd\/(client|server)\/v3/)) return substr(d, 1, RLENGTH)
	dm = module(d)
	return dm == "" ? d : mp "/" dm
}
# rule returns why package module m may not depend on d, or "" when it may.
function rule(m, d,    dm) {
	if (etcd(d) && m != "apiserver" && m != "test") return "only the apiserver talks to etcd"
	dm = module(d)
	if (dm == "" || dm == m) return ""
	if (dm == "test" && m != "test") return "nothing imports the test module"
	if (isdaemon(m) && isdaemon(dm)) return "daemons do not import each other; share code through pkg/"
	if ((m == "pkg" || m == "proto") && isdaemon(dm)) return m " never imports a daemon"
	if (m == "proto" && dm == "pkg") return "proto never imports pkg (dependencies flow proto <- pkg)"
	return ""
}
{
	pkg = $1; m = module(pkg)
	if (m == "") next
	n = split($2, imps, " ")
	for (i = 1; i <= n; i++) {
		why = rule(m, imps[i])
		if (why != "") { out[pkg " imports " imps[i] ": " why] = 1; reached[root(imps[i])] = 1 }
	}
	n = split($3, deps, " ")
	for (i = 1; i <= n; i++) {
		why = rule(m, deps[i])
		if (why != "") indirect[pkg SUBSEP root(deps[i])] = why
	}
}
END {
	for (k in indirect) {
		split(k, kv, SUBSEP)
		# Where one of our packages imports it, that import is the violation reported above;
		# otherwise it comes in through third-party code and is reported here.
		if (!(kv[2] in reached)) out[kv[1] " depends on " kv[2] " through a third-party package: " indirect[k]] = 1
	}
	for (line in out) print line
}' <<<"$graph" | sort)

if [[ -n $violations ]]; then
	echo "verify-imports: dependency rules broken:" >&2
	sed 's/^/  /' <<<"$violations" >&2
	exit 1
fi
echo "verify-imports: dependency rules hold"
