#!/usr/bin/env bash
# Checks, before `make run` spends a quarter of an hour building, that Signet can serve on LISTEN:
# nothing else answers on that port, and an existing home was made for that address (its
# certificates name it in AIA/CDP). Usage: check-port.sh HOST:PORT HOME
set -euo pipefail
listen="$1"; home="$2"
host="${listen%:*}"; port="${listen##*:}"
host="${host#[}"; host="${host%]}"
case "$port" in ''|*[!0-9]*) echo "make run: expected LISTEN=host:port, got '$listen'" >&2; exit 2;; esac
probe="$host"; [ "$probe" = "0.0.0.0" ] && probe=127.0.0.1; [ "$probe" = "::" ] && probe=::1
if (exec 3<>"/dev/tcp/$probe/$port") 2>/dev/null; then
  echo "make run: something already answers on $listen; stop it or pick another port: make run LISTEN=127.0.0.1:18080" >&2
  exit 1
fi
if [ -f "$home/config.yaml" ]; then
  current=$(sed -n 's/^listen: *//p' "$home/config.yaml" | tr -d "\"'")
  if [ -n "$current" ] && [ "$current" != "$listen" ]; then
    echo "make run: the home $home listens on $current (its certificates name it), not $listen; use LISTEN=$current or another SIGNET_HOME" >&2
    exit 1
  fi
fi
if [ ! -x .build/release/signet ]; then
  echo "make run: the first build compiles Signet and its dependencies in release mode; it takes about 15 minutes on 2 cores."
fi
