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
