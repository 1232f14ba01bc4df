#!/usr/bin/env bash
# Installs what Signet needs on Debian/Ubuntu, skipping what is already there. Idempotent.
#   runtime: softhsm2 (embedded HSM), libsqlite3
#   build:   libsofthsm2-dev (PKCS#11 headers), libsqlite3-dev, libcurl4-openssl-dev (libsignet-pkcs11.so talks to Signet with libcurl)
#   tests:   openssl, opensc (pkcs11-tool), osslsigncode, libengine-pkcs11-openssl (libp11's engine: osslsigncode and openssl
#            through the PKCS#11 module), gcc (C programs the tests build: a PKCS#11 consumer, a fault-injecting module),
#            a JDK (jarsigner), python3-venv + pkilint (in a venv), postgresql (the tests start a throwaway cluster of their own,
#            as the postgres user, on a loopback port; no system cluster is needed)
set -euo pipefail

want=(softhsm2 libsofthsm2-dev libsqlite3-dev libcurl4-openssl-dev sqlite3 openssl opensc osslsigncode libengine-pkcs11-openssl gcc libc6-dev curl jq python3-venv postgresql)
[ "${1:-}" = "--runtime-only" ] && want=(softhsm2 libsofthsm2-dev libsqlite3-dev libcurl4-openssl-dev openssl curl)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${1:-}" != "--runtime-only" ] && ! command -v jarsigner >/dev/null 2>&1; then
  missing+=(default-jdk-headless)
fi

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--runtime-only" ]; then
  if ! command -v lint_pkix_cert >/dev/null 2>&1; then
    # pkilint is not packaged by Debian, and Debian's Python refuses `pip install` outside a virtual
    # environment (PEP 668): install it into its own venv and put its commands on the PATH.
    tools="${SIGNET_TOOLS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/signet/python-tools}"
    echo "install-deps: installing pkilint from PyPI into $tools"
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check pkilint==0.13.3
    bindir=/usr/local/bin
    [ "$(id -u)" -ne 0 ] && bindir="$HOME/.local/bin" && mkdir -p "$bindir"
    for tool in "$tools"/bin/lint_*; do ln -sf "$tool" "$bindir/$(basename "$tool")"; done
    command -v lint_pkix_cert >/dev/null 2>&1 || echo "install-deps: add $bindir to PATH for pkilint's commands" >&2
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: Swift 6.1 or newer is required (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
