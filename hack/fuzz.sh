#!/usr/bin/env bash
# Runs every Go fuzz target of the given modules (func FuzzXxx in a *_test.go file), one after
# another, each for FUZZTIME: go test fuzzes one target per run. Each package's instrumented test
# binary is built once (go test -c -fuzz) and run once per target from the package's directory,
# with the fuzz cache go test uses, so no target pays for a link of its own. A target that fails
# still lets the others run; the script then exits non-zero, naming the failed targets. A failing
# input is saved under the package's testdata/fuzz/FuzzXxx/, where it becomes a regression seed.
#
# Environment: FUZZTIME (default 2m) is each target's budget; FUZZPARALLEL, when set, is the number
# of fuzz workers (default GOMAXPROCS); FUZZLOG, when set, is a directory that receives each
# target's output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fuzztime=${FUZZTIME:-2m}
parallel=()
if [[ -n ${FUZZPARALLEL:-} ]]; then parallel=(-test.parallel "$FUZZPARALLEL"); fi
if [[ -n ${FUZZLOG:-} ]]; then mkdir -p "$FUZZLOG"; fi
if (($# == 0)); then
	echo "usage: $0 MODULE..." >&2
	exit 2
fi
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
cache=$(go env GOCACHE)/fuzz

failed=()
count=0
for module in "$@"; do
	# Each fuzz target as "<package dir relative to the module> <name>", sorted by package.
	mapfile -t targets < <(cd "$module" && grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
		sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#; s#^\./[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#. \1#' | sort -u)
	built=""
	for t in "${targets[@]}"; do
		dir=${t% *} name=${t#* }
		bin="$bins/${module//\//_}_${dir//\//_}.test"
		if [[ $built != "$dir" ]]; then
			echo "fuzz: building $module/$dir"
			(cd "$module" && go test -c -fuzz=. -o "$bin" "./$dir")
			pkg=$(cd "$module" && go list "./$dir")
			built=$dir
		fi
		count=$((count + 1))
		echo "fuzz: $module/$dir $name for $fuzztime"
		out="$bins/$name.log"
		if [[ -n ${FUZZLOG:-} ]]; then out="$FUZZLOG/${module//\//_}_${dir//\//_}_$name.log"; fi
		if ! (cd "$module/$dir" && "$bin" -test.run '^$' -test.fuzz "^${name}\$" -test.fuzztime "$fuzztime" \
			-test.fuzzcachedir "$cache/$pkg" "${parallel[@]}") 2>&1 | tee "$out"; then
			# Go 1.26's fuzzing coordinator can fail a target at the end of -fuzztime with a bare
			# "context deadline exceeded" and no failing input (go.dev/issue/75804, fixed in Go
			# 1.27). That alone is not a finding once the target's seeds pass again.
			if ! grep -q 'Failing input written' "$out" && grep -q '^    context deadline exceeded$' "$out" &&
				(cd "$module/$dir" && "$bin" -test.run "^${name}\$" >/dev/null 2>&1); then
				echo "fuzz: $module/$dir $name: the fuzzing coordinator's own deadline at the end of $fuzztime (go.dev/issue/75804), no failing input; its seeds pass"
			else
				failed+=("$module/$dir $name")
			fi
		fi
	done
done
if ((${#failed[@]} > 0)); then
	echo "fuzz: ${#failed[@]} of $count targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz: $count targets ran clean for $fuzztime each"
