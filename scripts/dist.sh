#!/usr/bin/env bash
# make dist: what runs where Swift is not installed, with the Swift runtime linked in (no libswift*.so
# needed): the `signet` CLI and libsignet-pkcs11.so (the PKCS#11 module signing tools load), packed as
# dist/signet-<version>-linux-<arch>.tar.gz with a .sha256 file. The build uses a scratch path of its
# own, .build-dist/, so everyday debug builds are untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
name="signet-$version-linux-$arch"

swift build -c release --scratch-path .build-dist/build --product signet --static-swift-stdlib
# The module's release link carries the Swift runtime itself (Package.swift, SignetPKCS11Module).
swift build -c release --scratch-path .build-dist/build --product signet-pkcs11 --static-swift-stdlib

stage=.build-dist/stage/$name
rm -rf .build-dist/stage
mkdir -p "$stage" dist
cp .build-dist/build/release/signet "$stage/signet"
cp .build-dist/build/release/libsignet-pkcs11.so "$stage/libsignet-pkcs11.so"
command -v strip >/dev/null 2>&1 && strip "$stage/signet" && strip --strip-unneeded "$stage/libsignet-pkcs11.so"
if ldd "$stage/libsignet-pkcs11.so" | grep -q libswift; then
  echo "dist: libsignet-pkcs11.so still needs a Swift runtime library" >&2
  exit 1
fi
cp README.md "$stage/README.md"
tar --sort=name --owner=0 --group=0 --numeric-owner -C .build-dist/stage -czf "dist/$name.tar.gz" "$name"
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "dist: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1))"
