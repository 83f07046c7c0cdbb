#!/usr/bin/env bash
# Regenerates the gRPC code Swiftlet commits: Sources/CRI/Generated from
# Protos/cri/runtime_v1.proto (the CRI client) and Sources/GRPCHealth/Generated from
# Protos/grpc_health/health_v1.proto (grpc probes' client, agnhost's server). Builds
# protoc-gen-swift and protoc-gen-grpc-swift-2 from the package mirror in a scratch package
# (about two minutes), then runs protoc (Debian's protobuf-compiler). The output is
# committed, so a normal build never needs the plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
command -v protoc >/dev/null || { echo "protoc is missing: apt-get install protobuf-compiler" >&2; exit 1; }
tools="${CRI_CODEGEN_DIR:-/tmp/swiftlet-cri-codegen}"
mkdir -p "$tools"
cat > "$tools/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "cri-codegen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.0"),
    ],
    targets: []
)
SWIFT
echo "==> building the protoc plugins in $tools"
(cd "$tools" && swift build -c release --product protoc-gen-swift >/dev/null \
  && swift build -c release --product protoc-gen-grpc-swift-2 >/dev/null)
bin="$(cd "$tools" && swift build -c release --show-bin-path)"
# generate PROTO_DIR FILE OUT_DIR SERVER
generate() {
  local out="$root/$3"
  rm -rf "$out" && mkdir -p "$out"
  protoc -I "$root/$1" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Public \
    --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Public,Server=$4 \
    "$2"
  echo "==> wrote $(ls "$out" | tr '\n' ' ')"
}
generate Protos/cri runtime_v1.proto Sources/CRI/Generated false
generate Protos/grpc_health health_v1.proto Sources/GRPCHealth/Generated true
