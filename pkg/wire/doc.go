// Package wire encodes, decodes and copies protobuf messages through the reflection-free methods
// protoc-gen-go-vtproto generates for Keelson's API (MarshalVT, UnmarshalVT, CloneVT), falling back
// to the protobuf runtime for any message without them (well-known types used on their own, health
// and reflection messages). The results are the same wire format either way, with one difference:
// the fast paths do not check that strings are valid UTF-8, as the protobuf runtime does. So an
// object a client sends is decoded by the runtime before it is stored (the apiserver's grpcapi does
// this), and what is stored and served is valid for every decoder.
//
// Codec carries the same fast paths into gRPC, for servers (grpc.ForceServerCodecV2) and clients
// (grpc.ForceCodecV2) alike, without replacing the process-wide "proto" codec.
package wire
