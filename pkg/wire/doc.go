// Package wire encodes, decodes and copies protobuf messages through the reflection-free methods
// protoc-gen-go-vtproto generates for Keelson's API (MarshalVT, UnmarshalVT, CloneVT), falling back
// to the protobuf runtime for any message without them (well-known types used on their own, health
// and reflection messages). The results are the same wire format either way; only the speed differs.
//
// Codec carries the same fast paths into gRPC, for servers (grpc.ForceServerCodecV2) and clients
// (grpc.ForceCodecV2) alike, without replacing the process-wide "proto" codec.
package wire
