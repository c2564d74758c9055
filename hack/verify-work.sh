#!/usr/bin/env bash
# Checks that go.work uses exactly the directories of this repository that hold a go.mod, naming
# any directory missing from it or listed without a module. With --fix, rewrites the use list.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Directories with a go.mod, relative, as go.work spells them (./pkg). Build output, local cluster
# state and test data are not modules of the workspace.
mapfile -t want < <(find . \( -name .git -o -name bin -o -name .keelson -o -name testdata -o -name node_modules \) -prune \
	-o -name go.mod -printf '%h\n' | sort)
mapfile -t have < <(go work edit -json | sed -n 's/^[[:space:]]*"DiskPath": "\(.*\)".*/\1/p' | sed 's#^\([^./]\)#./\1#' | sort)

if [[ ${1:-} == --fix ]]; then
	for d in "${have[@]}"; do go work edit -dropuse="$d"; done
	go work use "${want[@]}"
	echo "verify-work: go.work now uses ${want[*]}"
	exit 0
fi

missing=$(comm -23 <(printf '%s\n' "${want[@]}") <(printf '%s\n' "${have[@]}"))
extra=$(comm -13 <(printf '%s\n' "${want[@]}") <(printf '%s\n' "${have[@]}"))
status=0
for d in $missing; do
	echo "verify-work: $d has a go.mod but go.work does not use it" >&2
	status=1
done
for d in $extra; do
	echo "verify-work: go.work uses $d, which has no go.mod" >&2
	status=1
done
if ((status)); then
	echo "verify-work: run 'make fix-work'" >&2
	exit 1
fi
echo "verify-work: go.work uses every module (${#want[@]})"
