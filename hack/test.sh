#!/usr/bin/env bash
# Runs every module's tests with -race, as `make test` does. The integration suite (test/integration)
# waits far more than it computes: its tests, one after another, took 14 minutes; as two processes
# at once they took 8, with the two cores only about a third busy. So its test binary is built
# once and run as INTEGRATION_SHARDS processes at once (default 1), each taking the tests whose
# names start with some letters, beside `go test` of every other package. Each shard is a process
# of its own, so no two tests ever share a process, as before. The last shard takes every test
# the others do not match, so a new test always runs somewhere. Three shards took the suite from 14
# minutes to about 6, but under their load (the CPUs 85-100% busy) three runs of five failed, on
# two bugs and two tests' timing races, all fixed since; the default stays at one shard until the
# suite is shown to hold under that load.
#
# Each shard's output goes to a log; the script says as each shard ends, prints the whole log of a
# shard that failed, and exits non-zero if any package or shard failed.
#
# With --fuzz, once the shards are done it also runs hack/fuzz.sh on the same modules (FUZZTIME
# each target, as that script reads it) beside what is left of the other packages, which by then
# is mostly the end-to-end suite waiting on its daemons; the fuzzing's output goes to a log too.
#
# Arguments: [--fuzz] and the Go modules (directories) to test. Environment: INTEGRATION_SHARDS (1 to 4),
# TEST_TIMEOUT (default 30m), KEELSON_TEST_LOGS (a directory to keep the shards' logs in; default
# a temporary one, removed when everything passed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fuzz=false
if [[ ${1:-} == --fuzz ]]; then
	fuzz=true
	shift
fi
if (($# == 0)); then
	echo "usage: $0 [--fuzz] MODULE..." >&2
	exit 2
fi
module_path=$(sed -n 's|^module \(.*\)/proto$|\1|p' proto/go.mod)
integration=$module_path/test/integration
timeout=${TEST_TIMEOUT:-30m}

# The shards split the tests by the letter after "Test", balanced on the suite's measured times.
case ${INTEGRATION_SHARDS:-1} in
1) shards=() ;;
2) shards=('^Test[A-J]') ;;
3) shards=('^Test[A-G]' '^Test[H-P]') ;;
4) shards=('^Test[A-E]' '^Test[F-J]' '^Test[K-R]') ;;
*)
	echo "INTEGRATION_SHARDS must be 1 to 4, got ${INTEGRATION_SHARDS}" >&2
	exit 2
	;;
esac

logs=${KEELSON_TEST_LOGS:-$(mktemp -d /tmp/keelson-test.XXXXXX)}
mkdir -p "$logs"

# The test module's packages (the end-to-end suite above all, which waits as much as the
# integration one) go first: go test starts the packages it is given in their order, and one
# started last is the run's longest leg.
patterns=()
for m in "$@"; do
	if [[ $m == test ]]; then
		patterns=("$module_path/$m/..." "${patterns[@]}")
	else
		patterns+=("$module_path/$m/...")
	fi
done
packages=$(go list "${patterns[@]}" | grep -vx "$integration" || true)

# run_shard N ARGS... runs the integration binary from the suite's directory with ARGS.
run_shard() {
	local n=$1
	shift
	(cd test/integration && "$bin" -test.count=1 -test.timeout="$timeout" "$@") >"$logs/integration-$n.log" 2>&1
}

start=$SECONDS
pids=()
names=()
# An interrupted run takes its shards, go test and the fuzzing with it.
trap 'kill "${pids[@]}" 2>/dev/null || true' INT TERM
if [[ " $* " == *" test "* ]]; then
	echo "test: building the integration suite's test binary once for its shards"
	bin=$logs/integration.test
	go test -c -race -o "$bin" "$integration"
	skip=''
	for i in "${!shards[@]}"; do
		run_shard "$i" -test.run="${shards[$i]}" &
		pids+=($!)
		names+=("tests ${shards[$i]}")
		skip=${skip:+$skip|}${shards[$i]#^}
	done
	last=${#shards[@]}
	if [[ -n $skip ]]; then
		run_shard "$last" -test.skip="^($skip)" &
		names+=("every other test (not ^($skip))")
	else
		run_shard "$last" &
		names+=("every test")
	fi
	pids+=($!)
	echo "test: integration suite running in ${#pids[@]} shard(s), logs in $logs/integration-<n>.log"
fi

failed=()
# shellcheck disable=SC2086 # one argument per package
go test -race -count=1 -timeout "$timeout" $packages &
gotest=$!
pids+=("$gotest")

for i in "${!names[@]}"; do
	if wait "${pids[$i]}"; then
		echo "test: integration shard $i (${names[$i]}): ok, $((SECONDS - start))s since the start"
	else
		echo "test: integration shard $i (${names[$i]}) FAILED; its log, $logs/integration-$i.log:"
		cat "$logs/integration-$i.log"
		failed+=("integration shard $i (${names[$i]})")
	fi
done

if $fuzz; then
	echo "test: fuzzing every target for ${FUZZTIME:-2m} beside the other packages' tests, log in $logs/fuzz.log"
	hack/fuzz.sh "$@" >"$logs/fuzz.log" 2>&1 &
	fuzzer=$!
	pids+=("$fuzzer")
fi

if ! wait "$gotest"; then
	failed+=("go test of the other packages (output above)")
fi
if $fuzz; then
	if wait "$fuzzer"; then
		tail -n 1 "$logs/fuzz.log"
	else
		echo "test: fuzzing FAILED; its log, $logs/fuzz.log:"
		cat "$logs/fuzz.log"
		failed+=("fuzzing (hack/fuzz.sh)")
	fi
fi

if ((${#failed[@]} > 0)); then
	echo "test: FAILED: ${failed[*]}; logs kept in $logs" >&2
	exit 1
fi
echo "test: every package passed in $((SECONDS - start))s"
if [[ -z ${KEELSON_TEST_LOGS:-} ]]; then rm -rf "$logs"; fi
