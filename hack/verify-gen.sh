#!/usr/bin/env bash
# Fails if regenerating proto/ (hack/gen-proto.sh) would change any generated file, and prints the
# difference. The generated files are compared with the work tree as it was before generation (not
# with HEAD, so an uncommitted .proto edit with its regenerated .pb.go passes), and proto/ is put
# back as it was either way. `make fix-gen` regenerates for real.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

before=$(mktemp -d)
after=$(mktemp -d)
trap 'rm -rf "$before" "$after"' EXIT

# copy_generated DEST copies every .pb.go under proto/ to DEST, keeping its path.
copy_generated() {
	mkdir -p "$1/proto"
	find proto -name '*.pb.go' -exec cp --parents {} "$1" \;
}

copy_generated "$before"
restore() {
	find proto -name '*.pb.go' -delete
	(cd "$before" && find proto -name '*.pb.go' -exec cp --parents {} "$root" \;)
}

if ! hack/gen-proto.sh; then
	restore
	echo "verify-gen: hack/gen-proto.sh failed" >&2
	exit 1
fi
copy_generated "$after"
restore

if ! diff -ru "$before/proto" "$after/proto"; then
	echo "verify-gen: the generated code under proto/ is stale (run 'make fix-gen' and commit the result)" >&2
	exit 1
fi
echo "verify-gen: proto/ is up to date"
