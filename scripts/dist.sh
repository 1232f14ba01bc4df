#!/usr/bin/env bash
# make dist: what runs where Swift is not installed, with the Swift runtime linked in (no libswift*.so
# needed): the `signet` CLI and libsignet-pkcs11.so (the PKCS#11 module signing tools load), packed as
# dist/signet-<version>-linux-<arch>.tar.gz with a .sha256 file.
#
# It builds from a copy of the committed tree (`git archive`; with uncommitted changes, of a stash
# commit, and the commit is then named "<hash>-dirty"), into which it writes the commit for
# `signet --version`. The checkout itself is not touched, so everyday debug builds never depend on git
# state. The build uses a scratch path of its own, .build-dist/build, kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^ *public static let number = "\(.*\)"$/\1/p' Sources/SignetClient/SignetVersion.swift)
[ -n "$version" ] || { echo "dist: cannot read the version from Sources/SignetClient/SignetVersion.swift" >&2; exit 1; }
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
commit=$(git rev-parse --short=12 HEAD)
tree=HEAD
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  tree=$(git stash create)
  commit="$commit-dirty"
fi
stamp=$(git log -1 --format=%ct HEAD)
name="signet-$version-linux-$arch"

src=.build-dist/src
rm -rf "$src"
mkdir -p "$src"
git archive --format=tar "$tree" | tar -x -C "$src"
sed -i "s/public static let commit = \"development build\"/public static let commit = \"commit $commit\"/" "$src/Sources/SignetClient/SignetVersion.swift"
grep -q "commit $commit" "$src/Sources/SignetClient/SignetVersion.swift" || { echo "dist: could not stamp the commit" >&2; exit 1; }

started=$(date +%s)
(cd "$src" && swift build -c release --product signet --scratch-path ../build --static-swift-stdlib)
# The module's release link carries the Swift runtime itself (Package.swift, SignetPKCS11Module).
(cd "$src" && swift build -c release --product signet-pkcs11 --scratch-path ../build --static-swift-stdlib)
echo "dist: release build took $(( $(date +%s) - started )) s"

stage=.build-dist/stage/$name
rm -rf .build-dist/stage
mkdir -p "$stage" dist
cp .build-dist/build/release/signet "$stage/signet"
cp .build-dist/build/release/libsignet-pkcs11.so "$stage/libsignet-pkcs11.so"
command -v strip >/dev/null 2>&1 && strip "$stage/signet" && strip --strip-unneeded "$stage/libsignet-pkcs11.so"
for binary in "$stage/signet" "$stage/libsignet-pkcs11.so"; do
  if ldd "$binary" | grep -q libswift; then
    echo "dist: $(basename "$binary") still needs a Swift runtime library" >&2
    exit 1
  fi
done
cp README.md "$stage/README.md"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" -C .build-dist/stage -czf "dist/$name.tar.gz" "$name"
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "dist: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1)), $("$stage/signet" --version)"
