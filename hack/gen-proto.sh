#!/usr/bin/env bash
# Regenerates every .pb.go under proto/ from its .proto file, with a *_vtproto.pb.go beside it
# (reflection-free MarshalVT/UnmarshalVT/SizeVT/CloneVT, which the hot encode/decode paths use).
# protoc comes from Debian's protobuf-compiler; the Go plugins are pinned by the tool directives in
# proto/go.mod, so this runs offline once the module cache is warm. GOWORK=off keeps the plugins at
# the versions proto/go.mod pins, whatever the rest of the workspace requires.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/bin/tools"
mkdir -p "$tools"
cd "$root/proto"

# Every generated file records the protoc that made it (`// protoc vX` in its header). Another
# protoc rewrites every header and may generate different code, so refuse to mix them unless asked
# to move to it on purpose (KEELSON_PROTOC_UPGRADE=1).
command -v protoc >/dev/null || { echo "gen-proto: protoc is not installed (run 'make deps')" >&2; exit 1; }
installed=$(protoc --version | awk '{print $NF}')
mapfile -t recorded < <(grep -rhoE '^// (- )?[[:space:]]*protoc[[:space:]]+v[0-9][^[:space:]]*' --include='*.pb.go' . |
	awk '{print $NF}' | sort -u)
# protoc 3.x reports "libprotoc 3.21.12" and the headers say v3.21.12; later releases report
# "libprotoc 29.3" while the headers say v5.29.3.
matches() { [[ "$1" == "v$installed" || ( "$installed" =~ ^[0-9]+\.[0-9]+$ && "$1" == v*."$installed" ) ]]; }
if [[ "${KEELSON_PROTOC_UPGRADE:-}" == 1 ]]; then
	echo "gen-proto: generating with protoc $installed whatever the files record (KEELSON_PROTOC_UPGRADE=1)" >&2
elif [[ ${#recorded[@]} -gt 1 ]]; then
	echo "gen-proto: the generated files record several protoc versions (${recorded[*]}); regenerate them all with one: KEELSON_PROTOC_UPGRADE=1 make gen" >&2
	exit 1
elif [[ ${#recorded[@]} -eq 1 ]] && ! matches "${recorded[0]}"; then
	cat >&2 <<EOF
gen-proto: protoc $installed is installed ($(command -v protoc)), but the generated files were made
by protoc ${recorded[0]} (the "// protoc ${recorded[0]}" line of every .pb.go under proto/).
Fix: install protoc ${recorded[0]#v} and run 'make gen' again; or, to move the generated code to
protoc $installed on purpose, run 'KEELSON_PROTOC_UPGRADE=1 make gen' and commit every
regenerated file.
EOF
	exit 1
fi
GOWORK=off go build -o "$tools/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
GOWORK=off go build -o "$tools/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
GOWORK=off go build -o "$tools/protoc-gen-go-vtproto" github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto
find . -name '*.pb.go' -delete
mapfile -t files < <(find . -name '*.proto' -printf '%P\n' | sort)
protoc -I . \
	--plugin=protoc-gen-go="$tools/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$tools/protoc-gen-go-grpc" \
	--plugin=protoc-gen-go-vtproto="$tools/protoc-gen-go-vtproto" \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	--go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size+clone \
	"${files[@]}"
