#!/usr/bin/env bash
# Signet benchmarks (issue 8), called by `make bench`.
#
# Builds a release binary into .build-bench, creates fresh Signet homes under Benchmarks/results/,
# starts Signet and the peers (cfssl serve, cfssl ocspserve, openssl ocsp, openssl ts -reply,
# openssl ca -gencrl) on 127.0.0.1, drives every HTTP server with the same wrk script
# (Benchmarks/lua/bench.lua), runs the in-process micro-benchmarks (`signet-bench hsm|tsa|crl|populate`),
# then prints one table and regenerates Benchmarks/README.md from Benchmarks/README.template.md.
# Raw numbers: Benchmarks/results/results.json; every command run: Benchmarks/results/commands.txt.
#
# Knobs (environment): BENCH_DURATION (s per load test, 10), BENCH_WARMUP (s, 2), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_REPEAT (measured runs per load test, median kept; 3), BENCH_HSM_SECONDS (5), BENCH_CRL_SIZES ("100000 1000000"),
# BENCH_STORE_ROWS (1000000), BENCH_PORT_BASE (28080; six ports from there), BENCH_SKIP_BUILD=1,
# BENCH_SCRATCH (build directory, default .build-bench), BENCH_COMMIT (what to call the sources when the
# checkout is not a git work tree, e.g. an export of a commit).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/Benchmarks
RESULTS=$BENCH/results
RAW=$RESULTS/raw
WORK=$RESULTS/work
SCRATCH=${BENCH_SCRATCH:-$ROOT/.build-bench}
SIGNET=$SCRATCH/release/signet
SIGNET_BENCH=$SCRATCH/release/signet-bench

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
REPEAT=${BENCH_REPEAT:-3}
HSM_SECONDS=${BENCH_HSM_SECONDS:-5}
CRL_SIZES=${BENCH_CRL_SIZES:-"100000 1000000"}
STORE_ROWS=${BENCH_STORE_ROWS:-1000000}
PORT_BASE=${BENCH_PORT_BASE:-28080}
SIGNET_PORT=$PORT_BASE
SIGNET_RSA_PORT=$((PORT_BASE + 1))
CFSSL_PORT=$((PORT_BASE + 2))
CFSSL_RSA_PORT=$((PORT_BASE + 3))
CFSSL_OCSP_PORT=$((PORT_BASE + 4))
OPENSSL_OCSP_PORT=$((PORT_BASE + 5))
NPROC=$(nproc)

# ---------------------------------------------------------------------------------------------
# Helpers

STARTED=$(date +%s)
log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# Every command that produces a figure goes through `run`, which records it (paths relative to the
# checkout) in commands.txt for the README.
record() {
  local line="$*"
  line=${line//$RESULTS/Benchmarks/results}
  line=${line//$ROOT\//}
  line=${line//$ROOT/.}
  printf '%s\n' "$line" >> "$RESULTS/commands.txt"
}
run() { record "$@"; "$@"; }

# Background processes this script started, by pid; all are stopped on exit.
declare -A PID_NAMES=()
cleanup() {
  local status=$?
  for pid in "${!PID_NAMES[@]}"; do stop_pid "$pid"; done
  [ $status -ne 0 ] && echo "bench: stopped (exit $status); logs are in $RESULTS" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME LOG CMD... : runs CMD in the background (recorded), sets LAST_PID.
start() {
  local name=$1 logfile=$2; shift 2
  record "$@" "&"
  "$@" > "$logfile" 2>&1 &
  LAST_PID=$!
  PID_NAMES[$LAST_PID]=$name
}

stop_pid() {
  local pid=$1
  [ -n "${PID_NAMES[$pid]:-}" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "PID_NAMES[$pid]"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT PID LOG WHAT [SECONDS]
wait_port() {
  local port=$1 pid=$2 logfile=$3 what=$4 limit=${5:-60}
  local deadline=$(($(date +%s) + limit))
  until port_open "$port"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$logfile" >&2; die "$what exited before listening on 127.0.0.1:$port (log: $logfile)"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$logfile" >&2; die "$what did not listen on 127.0.0.1:$port within ${limit}s (log: $logfile)"; }
    sleep 0.1
  done
}

# json FILE FILTER: one value from a JSON file.
json() { jq -r "$2" "$1"; }

# CPU accounting, so a figure shows who used the machine while it was measured: the server under
# test, the load generator, and everything else (the machine may be shared).
HZ=$(getconf CLK_TCK)
cpu_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
child_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{print $14+$15}'; }
pid_ticks() { if [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ]; then sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; else echo 0; fi; }
# cpu_report OUT SECONDS BUSY0 BUSY1 SERVER0 SERVER1 CLIENT-TIME-FILE [REQUESTS]
cpu_report() {
  python3 - "$HZ" "$@" <<'PY'
import json, sys
hz, out, seconds, b0, b1, s0, s1, client_file = sys.argv[1:9]
requests = int(sys.argv[9]) if len(sys.argv) > 9 else 0
hz, seconds = int(hz), float(seconds)
try:
    client = sum(float(x) for x in open(client_file).read().split()[-2:])
except (OSError, ValueError):
    client = 0.0
busy = (int(b1) - int(b0)) / hz
server = (int(s1) - int(s0)) / hz
report = {"seconds": seconds, "busy_cores": busy / seconds, "server_cores": server / seconds,
          "client_cores": client / seconds, "other_cores": max(0.0, (busy - server - client) / seconds)}
if requests:
    report["server_cpu_us_per_request"] = server * 1e6 / requests
json.dump(report, open(out, "w"))
PY
}

# warmup NAME URL [VAR=value...]: the warm-up run alone (load runs it first unless WARMUP=0).
warmup() {
  local name=$1 url=$2; shift 2
  [ "$WARMUP" -gt 0 ] || return 0
  env "$@" wrk "-t$THREADS" "-c$CONNECTIONS" --timeout 10s --latency -s "$BENCH/lua/bench.lua" "-d${WARMUP}s" "$url" \
    > "$RAW/$name.warmup.txt" 2>&1 || die "wrk warm-up for $name failed (see $RAW/$name.warmup.txt)"
}

# load NAME URL [VAR=VALUE...]: warm-up, then REPEAT measured wrk runs back to back. The run with the
# median rate becomes the figure (raw/NAME.json, its CPU in raw/NAME.cpu.json, its wrk output in
# raw/NAME.wrk.txt): on a shared machine one run can catch a neighbour's burst, and the median of three
# is not moved by one such run. Every run is kept in raw/runs/, and raw/NAME.spread.json lists all the
# rates and p99s so the report can show how far they moved. Variables configure Benchmarks/lua/bench.lua;
# BEFORE_EACH_RUN names a function to call before every measured run (a peer that needs a fresh process).
load() {
  local name=$1 url=$2; shift 2
  local wrk=(wrk "-t$THREADS" "-c$CONNECTIONS" --timeout 10s --latency -s "$BENCH/lua/bench.lua")
  warmup "$name" "$url" "$@"
  record env "${@//BENCH_TOKEN=*/BENCH_TOKEN=\$TOKEN}" "${wrk[@]}" "-d${DURATION}s" "$url"
  mkdir -p "$RAW/runs"
  local run b0 s0 b1 s1 base requests errors
  for run in $(seq "$REPEAT"); do
    base=$RAW/runs/$name.$run
    if [ -n "${BEFORE_EACH_RUN:-}" ]; then "$BEFORE_EACH_RUN"; fi
    b0=$(cpu_busy_ticks); s0=$(pid_ticks "${SERVER_PID:-}")
    /usr/bin/time -f '%U %S' -o "$base.client-time" env "$@" "${wrk[@]}" "-d${DURATION}s" "$url" > "$base.wrk.txt" 2>&1 \
      || die "wrk for $name (run $run) failed (see $base.wrk.txt)"
    b1=$(cpu_busy_ticks); s1=$(pid_ticks "${SERVER_PID:-}")
    grep '^BENCH_JSON ' "$base.wrk.txt" | sed 's/^BENCH_JSON //' > "$base.json"
    [ -s "$base.json" ] || die "wrk for $name (run $run) printed no result (see $base.wrk.txt)"
    requests=$(json "$base.json" .requests)
    cpu_report "$base.cpu.json" "$(json "$base.json" .seconds)" "$b0" "$b1" "$s0" "$s1" "$base.client-time" "$requests"
    errors=$(json "$base.json" '.errors | .connect + .read + .write + .status + .timeout')
    [ "$requests" -gt 0 ] || die "wrk for $name (run $run) completed no request"
    [ "$errors" -eq 0 ] || log "WARNING: $name run $run had $errors errors (non-2xx/3xx or socket); see $base.wrk.txt"
    log "$name run $run/$REPEAT: $(awk -v r="$requests" -v s="$(json "$base.json" .seconds)" 'BEGIN{printf "%.0f req/s", r/s}'), p99 $(json "$base.json" .latency_us.p99) us, other processes $(json "$base.cpu.json" '.other_cores * 100 | floor')% of a core"
  done
  local median
  median=$(python3 - "$RAW/$name.spread.json" "$REPEAT" "$RAW/runs/$name" <<'EOF'
import json, sys
out, repeat, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = [json.load(open(f"{base}.{i}.json")) for i in range(1, repeat + 1)]
rates = [r["requests"] / r["seconds"] for r in runs]
median = sorted(range(repeat), key=lambda i: rates[i])[(repeat - 1) // 2]
json.dump({"rates": rates, "p99_us": [r["latency_us"]["p99"] for r in runs], "median_run": median + 1,
           "requests_total": sum(r["requests"] for r in runs)}, open(out, "w"))
print(median + 1)
EOF
) || die "could not pick the median run of $name"
  local suffix
  for suffix in json cpu.json wrk.txt client-time; do cp "$RAW/runs/$name.$median.$suffix" "$RAW/$name.$suffix"; done
}

# expect_status WANT WHAT CURL-ARGS...: one request, must answer WANT; the body goes to stdout.
expect_status() {
  local want=$1 what=$2; shift 2
  local out; out=$(mktemp -p "$WORK")
  local got; got=$(curl -s --max-time 60 -o "$out" -w '%{http_code}' "$@") || true
  [ "$got" = "$want" ] || { head -c 400 "$out" >&2; echo >&2; die "$what: expected HTTP $want, got ${got:-no answer}"; }
  cat "$out"; rm -f "$out"
}

# ---------------------------------------------------------------------------------------------
# Preparation

prepare() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v cfssl >/dev/null && command -v cfssljson >/dev/null || missing+=(golang-cfssl)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v python3 >/dev/null || missing+=(python3)
  python3 -c 'import cryptography.x509.ocsp' 2>/dev/null || missing+=(python3-cryptography)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]}"
  fi

  rm -rf "$RESULTS"
  mkdir -p "$RAW" "$WORK"
  : > "$RESULTS/commands.txt"

  for port in $SIGNET_PORT $SIGNET_RSA_PORT $CFSSL_PORT $CFSSL_RSA_PORT $CFSSL_OCSP_PORT $OPENSSL_OCSP_PORT; do
    port_open "$port" && die "port $port is already in use on 127.0.0.1; set BENCH_PORT_BASE to a free range"
  done

  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    log "building release into .build-bench (log: $RESULTS/build.log)"
    (cd "$ROOT" && run swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH") > "$RESULTS/build.log" 2>&1 \
      || { tail -n 30 "$RESULTS/build.log" >&2; die "release build failed"; }
  fi
  [ -x "$SIGNET" ] || die "no release binary at $SIGNET"

  BENCH_SCRATCH_DIR=$SCRATCH python3 - "$RAW/machine.json" <<'EOF'
import json, os, platform, subprocess, sys, datetime
root = sys.argv[1].rsplit('/Benchmarks/', 1)[0]
def out(cmd):
    try:
        lines = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()
        return lines[0] if lines else ""
    except Exception:
        return "unknown"
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(int(mem) / 1048576, 1),
    "kernel": platform.release(),
    "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
    "source_dir": root, "scratch": os.environ.get("BENCH_SCRATCH_DIR", ""),
    "swift": out("swift --version 2>&1 | grep -i 'swift version'"),
    "openssl": out("openssl version"),
    "cfssl": "cfssl " + out("dpkg-query -W -f='${Version}' golang-cfssl"),
    "wrk": "wrk " + out("dpkg-query -W -f='${Version}' wrk"),
    "softhsm2": "softhsm2 " + out("dpkg-query -W -f='${Version}' softhsm2"),
    "sqlite": "sqlite " + out("dpkg-query -W -f='${Version}' libsqlite3-0"),
    "git_commit": os.environ.get("BENCH_COMMIT") or (out("git -C '%s' rev-parse --short HEAD" % root) + (
        " + uncommitted changes" if out("git -C '%s' status --porcelain -- Sources Package.swift Profiles | head -1" % root) not in ("", "unknown") else "")),
}, open(sys.argv[1], "w"), indent=1)
EOF
  # The disk's synchronous-write latency: Signet commits every certificate with synchronous=FULL.
  python3 - "$RAW/fsync.json" "$WORK" <<'EOF'
import json, os, sys, time
path = os.path.join(sys.argv[2], "fsync.probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
samples = []
end = time.monotonic() + 2
while time.monotonic() < end:
    t = time.monotonic(); os.write(fd, b"x" * 4096); os.fsync(fd); samples.append(time.monotonic() - t)
os.close(fd); os.unlink(path)
samples.sort()
json.dump({"fsyncs": len(samples), "mean_ms": sum(samples) / len(samples) * 1000,
           "p50_ms": samples[len(samples) // 2] * 1000, "p99_ms": samples[int(len(samples) * 0.99)] * 1000},
          open(sys.argv[1], "w"))
EOF
}

# ---------------------------------------------------------------------------------------------
# Signet

# signet_init NAME PORT PROFILES: a fresh home in results/home-NAME.
signet_init() {
  local name=$1 port=$2 profiles=$3 home=$RESULTS/home-$1
  run "$SIGNET" init --home "$home" --profiles "$profiles" --crl-dir "$home/crl" --base-url "http://127.0.0.1:$port" \
    > "$RAW/init-$name.txt" 2>&1 || { cat "$RAW/init-$name.txt" >&2; die "signet init for $name failed"; }
}

# signet_start NAME PORT: serve results/home-NAME; sets SIGNET_PID. The server runs with its default
# log level and limits, except the per-client signing rate limit: wrk is one client address asking
# for thousands of time-stamps a second, which is exactly what that limit refuses.
signet_start() {
  local name=$1 port=$2 home=$RESULTS/home-$1 logfile=$RESULTS/serve-$1.log
  [ -e "$logfile" ] && mv "$logfile" "$logfile.1"
  start "signet-$name" "$logfile" "$SIGNET" serve --home "$home" --listen "127.0.0.1:$port" --signing-rate 0
  SIGNET_PID=$LAST_PID SERVER_PID=$LAST_PID
  local deadline=$(($(date +%s) + 300))
  until grep -q "Signet listening on http://127.0.0.1:$port" "$logfile" 2>/dev/null; do
    kill -0 "$SIGNET_PID" 2>/dev/null || { tail -n 20 "$logfile" >&2; die "signet serve ($name) exited during start-up"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "signet serve ($name) did not report listening within 300s (log: $logfile)"
    sleep 0.1
  done
}

# token HOME-NAME ARGS...: a bearer token; sets TOKEN (fails the run if none is printed).
token() {
  TOKEN=$("$SIGNET" token create --home "$RESULTS/home-$1" "${@:2}" 2>"$WORK/token.err" | tail -n 1) || true
  [ -n "$TOKEN" ] || { cat "$WORK/token.err" >&2; die "signet token create ${*:2} failed for home $1"; }
}

# hsm_sign_totals PORT: "count sum_seconds" of signet_hsm_sign_seconds from /metrics.
hsm_sign_totals() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk '
    /^signet_hsm_sign_seconds_count/ {c=$2} /^signet_hsm_sign_seconds_sum/ {s=$2}
    END {printf "%s %s\n", (c==""?0:c), (s==""?0:s)}'
}

# issuance NAME PORT: the issuance figure for a running Signet.
issuance() {
  local name=$1 port=$2 home=$RESULTS/home-$1
  token "$name" --role ci --team payments --name bench-ci; local ci=$TOKEN
  jq -n --rawfile csr "$WORK/dev.csr" '{profile: "prerelease-codesign", csr: $csr, validity: "24h"}' > "$WORK/issue.json"
  expect_status 201 "Signet ($name) issuance" -H "Authorization: Bearer $ci" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/issue.json" "http://127.0.0.1:$port/api/v1/certificates" > "$WORK/issued-$name.json"
  jq -r .certificate "$WORK/issued-$name.json" > "$WORK/leaf-$name.pem"
  "$SIGNET" ca export root --pem --home "$home" > "$WORK/root-$name.pem"
  "$SIGNET" ca export issuing --pem --home "$home" > "$WORK/issuing-$name.pem"
  openssl verify -CAfile "$WORK/root-$name.pem" -untrusted "$WORK/issuing-$name.pem" -purpose any "$WORK/leaf-$name.pem" > /dev/null \
    || die "the certificate Signet ($name) issued does not verify"
  local before after issue_args=(BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/issue.json" BENCH_CONTENT_TYPE=application/json BENCH_TOKEN="$ci")
  # The warm-up runs before the HSM counters are read, so they count the measured run's signatures only.
  warmup "signet-issue-$name" "http://127.0.0.1:$port/api/v1/certificates" "${issue_args[@]}"
  before=$(hsm_sign_totals "$port")
  WARMUP=0 load "signet-issue-$name" "http://127.0.0.1:$port/api/v1/certificates" "${issue_args[@]}"
  after=$(hsm_sign_totals "$port")
  # HSM time per issued certificate, from Signet's own signet_hsm_sign_seconds (includes waiting for a session).
  # The counters span every measured run, so they are divided by the requests of every run.
  python3 - "$RAW/signet-issue-$name.hsm.json" "$before" "$after" "$RAW/signet-issue-$name.spread.json" <<'EOF'
import json, sys
c0, s0 = map(float, sys.argv[2].split()); c1, s1 = map(float, sys.argv[3].split())
requests = json.load(open(sys.argv[4]))["requests_total"]
json.dump({"hsm_signatures": c1 - c0, "hsm_seconds": s1 - s0, "requests": requests,
           "hsm_signatures_per_request": (c1 - c0) / max(1, requests),
           "hsm_ms_per_request": (s1 - s0) * 1000 / max(1, requests)}, open(sys.argv[1], "w"))
EOF
}

# ---------------------------------------------------------------------------------------------
# Peers

# cfssl_ca NAME ALGO SIZE: a file-based CA in work/cfssl-NAME with a code-signing profile.
cfssl_ca() {
  local dir=$WORK/cfssl-$1
  mkdir -p "$dir"
  jq -n --arg algo "$2" --argjson size "$3" '{CN: "cfssl bench CA", key: {algo: $algo, size: $size}, names: [{O: "Signet benchmark peer"}]}' > "$dir/ca-csr.json"
  jq -n '{signing: {default: {expiry: "24h"}, profiles: {codesign: {usages: ["digital signature", "code signing"], expiry: "24h"}}}}' > "$dir/config.json"
  (cd "$dir" && cfssl gencert -initca ca-csr.json 2>"$dir/gencert.log" | cfssljson -bare ca) || die "cfssl gencert -initca ($1) failed"
}

# cfssl_issuance NAME PORT: cfssl serve on that CA, measured like Signet.
cfssl_issuance() {
  local name=$1 port=$2 dir=$WORK/cfssl-$1
  start "cfssl-serve-$name" "$RESULTS/cfssl-serve-$name.log" \
    cfssl serve -address 127.0.0.1 -port "$port" -ca "$dir/ca.pem" -ca-key "$dir/ca-key.pem" -config "$dir/config.json" -loglevel 3
  local pid=$LAST_PID; SERVER_PID=$LAST_PID
  wait_port "$port" "$pid" "$RESULTS/cfssl-serve-$name.log" "cfssl serve ($name)"
  jq -n --rawfile csr "$WORK/dev.csr" '{certificate_request: $csr, profile: "codesign"}' > "$WORK/cfssl-sign.json"
  expect_status 200 "cfssl serve ($name) sign" --data-binary @"$WORK/cfssl-sign.json" "http://127.0.0.1:$port/api/v1/cfssl/sign" \
    | jq -r .result.certificate > "$dir/leaf.pem"
  openssl verify -CAfile "$dir/ca.pem" -purpose any "$dir/leaf.pem" > /dev/null || die "cfssl ($name) issued a certificate that does not verify"
  load "cfssl-issue-$name" "http://127.0.0.1:$port/api/v1/cfssl/sign" \
    BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/cfssl-sign.json" BENCH_CONTENT_TYPE=application/json
  stop_pid "$pid"
}

# ocsp_check RESPONSE ISSUER LEAF CAFILE WHAT: the response must say good.
ocsp_check() {
  openssl ocsp -respin "$1" -issuer "$2" -cert "$3" -CAfile "$4" -no_nonce > "$WORK/ocsp-check.txt" 2>&1 || true
  grep -q "Response verify OK" "$WORK/ocsp-check.txt" && grep -q ": good" "$WORK/ocsp-check.txt" \
    || { cat "$WORK/ocsp-check.txt" >&2; die "$5 did not answer a verifiable 'good'"; }
}

# ---------------------------------------------------------------------------------------------
# Phases

phase_signet_p256() {
  log "Signet (P-256 issuing CA): init, serve"
  signet_init p256 "$SIGNET_PORT" "$ROOT/Profiles"
  signet_start p256 "$SIGNET_PORT"
  local port=$SIGNET_PORT

  log "issuance over HTTP: Signet P-256"
  issuance p256 "$port"

  log "OCSP: Signet GET and POST"
  openssl ocsp -issuer "$WORK/issuing-p256.pem" -cert "$WORK/leaf-p256.pem" -no_nonce -reqout "$WORK/signet-ocsp.der" 2>/dev/null \
    || die "could not build an OCSP request"
  local get_path; get_path=$(base64 -w0 "$WORK/signet-ocsp.der" | jq -sRr @uri)
  expect_status 200 "Signet OCSP POST" -H 'Content-Type: application/ocsp-request' --data-binary @"$WORK/signet-ocsp.der" \
    "http://127.0.0.1:$port/ocsp" > "$WORK/signet-ocsp-post.resp"
  expect_status 200 "Signet OCSP GET" "http://127.0.0.1:$port/ocsp/$get_path" > "$WORK/signet-ocsp-get.resp"
  cat "$WORK/issuing-p256.pem" "$WORK/root-p256.pem" > "$WORK/chain-p256.pem"
  ocsp_check "$WORK/signet-ocsp-post.resp" "$WORK/issuing-p256.pem" "$WORK/leaf-p256.pem" "$WORK/chain-p256.pem" "Signet OCSP POST"
  ocsp_check "$WORK/signet-ocsp-get.resp" "$WORK/issuing-p256.pem" "$WORK/leaf-p256.pem" "$WORK/chain-p256.pem" "Signet OCSP GET"
  load signet-ocsp-post "http://127.0.0.1:$port/ocsp" \
    BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/signet-ocsp.der" BENCH_CONTENT_TYPE=application/ocsp-request
  load signet-ocsp-get "http://127.0.0.1:$port/ocsp/$get_path"

  log "TSA: Signet"
  head -c 1048576 /dev/urandom > "$WORK/artifact.bin"
  openssl ts -query -data "$WORK/artifact.bin" -sha256 -cert -out "$WORK/query.tsq" 2>/dev/null || die "openssl ts -query failed"
  expect_status 200 "Signet TSA" -H 'Content-Type: application/timestamp-query' --data-binary @"$WORK/query.tsq" \
    "http://127.0.0.1:$port/tsa" > "$WORK/signet.tsr"
  openssl ts -verify -in "$WORK/signet.tsr" -queryfile "$WORK/query.tsq" -CAfile "$WORK/root-p256.pem" \
    -untrusted "$WORK/issuing-p256.pem" > "$WORK/ts-verify.txt" 2>&1 || { cat "$WORK/ts-verify.txt" >&2; die "Signet's timestamp does not verify"; }
  load signet-tsa "http://127.0.0.1:$port/tsa" \
    BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/query.tsq" BENCH_CONTENT_TYPE=application/timestamp-query

  log "revocation → OCSP and CRL (5 rounds, polling every 10 ms)"
  token p256 --role admin --name bench-admin; local admin=$TOKEN
  token p256 --role ci --team payments --name bench-revoke; local ci=$TOKEN
  record python3 Benchmarks/revocation_latency.py --port "$port" --token '$CI' --admin-token '$ADMIN' \
    --issuing-ca "$WORK/issuing-p256.pem" --body "$WORK/issue.json" --rounds 5 --interval 0.010
  python3 "$BENCH/revocation_latency.py" --port "$port" --token "$ci" --admin-token "$admin" \
    --issuing-ca "$WORK/issuing-p256.pem" --body "$WORK/issue.json" --rounds 5 --interval 0.010 > "$RAW/revocation.json" \
    || die "revocation latency measurement failed"
  log "revocation: OCSP max $(json "$RAW/revocation.json" .ocsp_ms.max) ms, CRL max $(json "$RAW/revocation.json" .crl_ms.max) ms"

  stop_pid "$SIGNET_PID"
}

phase_signet_rsa() {
  log "Signet (RSA-3072 issuing CA): init, serve"
  mkdir -p "$WORK/profiles-rsa"
  cp "$ROOT"/Profiles/*.yaml "$WORK/profiles-rsa/"
  sed -i 's/^\(  algorithms: \[\)ec-p256\]/\1rsa-3072, ec-p256]/' "$WORK/profiles-rsa/issuing-ca.yaml"
  grep -q 'algorithms: \[rsa-3072' "$WORK/profiles-rsa/issuing-ca.yaml" || die "could not put rsa-3072 first in issuing-ca.yaml"
  signet_init rsa "$SIGNET_RSA_PORT" "$WORK/profiles-rsa"
  signet_start rsa "$SIGNET_RSA_PORT"
  log "issuance over HTTP: Signet RSA-3072"
  issuance rsa "$SIGNET_RSA_PORT"
  openssl x509 -in "$WORK/issuing-rsa.pem" -noout -text | grep -q "Public-Key: (3072 bit)" || die "the RSA home's issuing CA is not RSA-3072"
  stop_pid "$SIGNET_PID"
}

phase_cfssl() {
  log "cfssl serve: P-256 and RSA-3072 file-based CAs"
  cfssl_ca p256 ecdsa 256
  cfssl_issuance p256 "$CFSSL_PORT"
  cfssl_ca rsa rsa 3072
  cfssl_issuance rsa "$CFSSL_RSA_PORT"
}

phase_ocsp_peers() {
  local dir=$WORK/cfssl-p256
  openssl ocsp -issuer "$dir/ca.pem" -cert "$dir/leaf.pem" -no_nonce -reqout "$WORK/peer-ocsp.der" 2>/dev/null || die "could not build the peer OCSP request"
  local get_path; get_path=$(base64 -w0 "$WORK/peer-ocsp.der" | jq -sRr @uri)

  log "OCSP: cfssl ocspserve (pre-signed responses, keep-alive)"
  cfssl ocspsign -ca "$dir/ca.pem" -responder "$dir/ca.pem" -responder-key "$dir/ca-key.pem" -cert "$dir/leaf.pem" -status good 2>"$dir/ocspsign.log" \
    | jq -r .ocspResponse > "$dir/responses.txt"
  [ -s "$dir/responses.txt" ] || die "cfssl ocspsign produced no response"
  record cfssl ocspsign -ca "$dir/ca.pem" -responder "$dir/ca.pem" -responder-key "$dir/ca-key.pem" -cert "$dir/leaf.pem" -status good
  start cfssl-ocspserve "$RESULTS/cfssl-ocspserve.log" cfssl ocspserve -address 127.0.0.1 -port "$CFSSL_OCSP_PORT" -responses "$dir/responses.txt" -loglevel 3
  local pid=$LAST_PID; SERVER_PID=$LAST_PID
  wait_port "$CFSSL_OCSP_PORT" "$pid" "$RESULTS/cfssl-ocspserve.log" "cfssl ocspserve"
  expect_status 200 "cfssl ocspserve POST" -H 'Content-Type: application/ocsp-request' --data-binary @"$WORK/peer-ocsp.der" \
    "http://127.0.0.1:$CFSSL_OCSP_PORT/" > "$WORK/cfssl-ocsp.resp"
  ocsp_check "$WORK/cfssl-ocsp.resp" "$dir/ca.pem" "$dir/leaf.pem" "$dir/ca.pem" "cfssl ocspserve"
  load cfssl-ocsp-post "http://127.0.0.1:$CFSSL_OCSP_PORT/" \
    BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/peer-ocsp.der" BENCH_CONTENT_TYPE=application/ocsp-request
  stop_pid "$pid"

  log "OCSP: openssl ocsp -port (signs every response, one process)"
  local serial subject expiry
  serial=$(openssl x509 -in "$dir/leaf.pem" -noout -serial | cut -d= -f2)
  subject=$(openssl x509 -in "$dir/leaf.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
  expiry=$(date -u -d '+1 day' +%y%m%d%H%M%SZ)
  printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject" > "$dir/ocsp-index.txt"
  # openssl 3.0's -port takes a number and listens on every address; all traffic here is to 127.0.0.1.
  # Its responder spins forever on a connection that closes before sending a request (a port probe,
  # or a connection wrk opened just as it stopped), so it is never probed empty and gets a fresh
  # process for each load test, without a warm-up (there is nothing to warm in it).
  openssl_ocsp_start() {
    rm -f "$RESULTS/openssl-ocsp.log"
    start openssl-ocsp "$RESULTS/openssl-ocsp.log" openssl ocsp -index "$dir/ocsp-index.txt" -port "$OPENSSL_OCSP_PORT" \
      -rsigner "$dir/ca.pem" -rkey "$dir/ca-key.pem" -CA "$dir/ca.pem" -nmin 60
    pid=$LAST_PID; SERVER_PID=$LAST_PID
    local deadline=$(($(date +%s) + 30))
    until grep -q "waiting for OCSP client connections" "$RESULTS/openssl-ocsp.log" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { cat "$RESULTS/openssl-ocsp.log" >&2; die "openssl ocsp exited during start-up"; }
      [ "$(date +%s)" -lt "$deadline" ] || die "openssl ocsp did not start within 30s"
      sleep 0.1
    done
    expect_status 200 "openssl ocsp POST" -H 'Content-Type: application/ocsp-request' --data-binary @"$WORK/peer-ocsp.der" \
      "http://127.0.0.1:$OPENSSL_OCSP_PORT/" > "$WORK/openssl-ocsp.resp"
    ocsp_check "$WORK/openssl-ocsp.resp" "$dir/ca.pem" "$dir/leaf.pem" "$dir/ca.pem" "openssl ocsp"
  }
  # A fresh responder for every measured run (see above); load calls this before each one.
  openssl_ocsp_fresh() {
    if [ -n "${pid:-}" ]; then stop_pid "$pid"; fi
    openssl_ocsp_start
  }
  pid=
  WARMUP=0 BEFORE_EACH_RUN=openssl_ocsp_fresh load openssl-ocsp-post "http://127.0.0.1:$OPENSSL_OCSP_PORT/" \
    BENCH_METHOD=POST BENCH_BODY_FILE="$WORK/peer-ocsp.der" BENCH_CONTENT_TYPE=application/ocsp-request
  stop_pid "$pid"
  pid=
  WARMUP=0 BEFORE_EACH_RUN=openssl_ocsp_fresh load openssl-ocsp-get "http://127.0.0.1:$OPENSSL_OCSP_PORT/$get_path"
  stop_pid "$pid"
}

phase_openssl_ts() {
  log "TSA: openssl ts -reply, one process per token, $NPROC in parallel"
  local dir=$WORK/openssl-ts ca=$WORK/cfssl-p256
  mkdir -p "$dir"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/tsa.key" -subj "/O=Signet benchmark peer/CN=openssl TSA" \
    -out "$dir/tsa.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/tsa.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca-key.pem" -CAcreateserial -days 30 -sha256 \
    -extfile "$dir/ext.cnf" -out "$dir/tsa.pem" 2>/dev/null || die "could not make the openssl TSA certificate"
  for w in $(seq 1 "$NPROC"); do
    mkdir -p "$dir/w$w"
    echo "0$w" > "$dir/w$w/serial"
    cat > "$dir/w$w/ts.cnf" <<EOF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = $dir
serial = $dir/w$w/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $ca/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.32473.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 3
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
  done
  openssl ts -reply -config "$dir/w1/ts.cnf" -queryfile "$WORK/query.tsq" -out "$dir/check.tsr" 2>"$dir/check.log" || die "openssl ts -reply failed"
  openssl ts -verify -in "$dir/check.tsr" -queryfile "$WORK/query.tsq" -CAfile "$ca/ca.pem" > "$dir/verify.txt" 2>&1 \
    || { cat "$dir/verify.txt" >&2; die "openssl ts -reply's token does not verify"; }
  record "for each of $NPROC workers, for ${DURATION}s:" openssl ts -reply -config "$dir/w1/ts.cnf" -queryfile "$WORK/query.tsq" -out "$dir/w1/reply.tsr"
  local end=$(( ${EPOCHREALTIME/./} + DURATION * 1000000 ))
  local b0 c0; b0=$(cpu_busy_ticks); c0=$(child_ticks)
  local t0=${EPOCHREALTIME/./} workers=()
  for w in $(seq 1 "$NPROC"); do
    (
      : > "$dir/w$w/latency_us"
      fails=0
      while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
        s=${EPOCHREALTIME/./}
        openssl ts -reply -config "$dir/w$w/ts.cnf" -queryfile "$WORK/query.tsq" -out "$dir/w$w/reply.tsr" 2>/dev/null || fails=$((fails + 1))
        echo $(( ${EPOCHREALTIME/./} - s )) >> "$dir/w$w/latency_us"
      done
      echo "$fails" > "$dir/w$w/failures"
    ) &
    workers+=($!)
  done
  wait "${workers[@]}"
  local t1=${EPOCHREALTIME/./} b1 c1; b1=$(cpu_busy_ticks); c1=$(child_ticks)
  # The workers' CPU (this shell's reaped children: the subshells and their openssl processes) is the "server".
  cpu_report "$RAW/openssl-ts.cpu.json" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)/1e6}')" "$b0" "$b1" "$c0" "$c1" /dev/null \
    "$(cat "$dir"/w*/latency_us | wc -l)"
  python3 - "$RAW/openssl-ts.json" "$t0" "$t1" "$dir" "$NPROC" <<'EOF'
import glob, json, sys
out, t0, t1, d, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
lat = sorted(int(x) for f in glob.glob(d + "/w*/latency_us") for x in open(f).read().split())
fails = sum(int(open(f).read()) for f in glob.glob(d + "/w*/failures"))
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))]
json.dump({"requests": len(lat), "seconds": (t1 - t0) / 1e6, "processes": n,
           "latency_us": {"mean": sum(lat) / len(lat), "p50": pct(50), "p90": pct(90), "p99": pct(99), "max": lat[-1]},
           "errors": {"status": fails, "connect": 0, "read": 0, "write": 0, "timeout": 0}}, open(out, "w"))
EOF
  log "openssl ts -reply: $(json "$RAW/openssl-ts.json" .requests) tokens in $(json "$RAW/openssl-ts.json" .seconds) s"
}

phase_hsm() {
  log "HSM micro-benchmark: C_Sign loop, 1 and 2 sessions, P-256 and RSA-3072"
  for algorithm in ec-p256 rsa-3072; do
    for sessions in 1 2; do
      local b0 b1 t0 t1; b0=$(cpu_busy_ticks); t0=${EPOCHREALTIME/./}
      record "$SIGNET_BENCH" hsm --home "$RESULTS/home-p256" --seconds "$HSM_SECONDS" --sessions "$sessions" --algorithm "$algorithm"
      /usr/bin/time -f '%U %S' -o "$RAW/hsm-$algorithm-$sessions.client-time" \
        "$SIGNET_BENCH" hsm --home "$RESULTS/home-p256" --seconds "$HSM_SECONDS" --sessions "$sessions" --algorithm "$algorithm" \
        > "$RAW/hsm-$algorithm-$sessions.json" 2> "$RAW/hsm-$algorithm-$sessions.err" \
        || { cat "$RAW/hsm-$algorithm-$sessions.err" >&2; die "signet-bench hsm ($algorithm, $sessions sessions) failed"; }
      b1=$(cpu_busy_ticks); t1=${EPOCHREALTIME/./}
      # The benchmark process counts as the "client" here: other_cores is everything else.
      cpu_report "$RAW/hsm-$algorithm-$sessions.cpu.json" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)/1e6}')" "$b0" "$b1" 0 0 \
        "$RAW/hsm-$algorithm-$sessions.client-time"
      log "hsm $algorithm x$sessions: $(json "$RAW/hsm-$algorithm-$sessions.json" '.signatures_per_second | floor') signatures/s, other processes $(json "$RAW/hsm-$algorithm-$sessions.cpu.json" '.other_cores * 100 | floor')% of a core"
    done
  done
  # The TSA without HTTP: what the HTTP figure would be if transport cost nothing.
  for threads in 1 2; do
    record "$SIGNET_BENCH" tsa --home "$RESULTS/home-p256" --seconds "$HSM_SECONDS" --threads "$threads"
    "$SIGNET_BENCH" tsa --home "$RESULTS/home-p256" --seconds "$HSM_SECONDS" --threads "$threads" \
      > "$RAW/tsa-inprocess-$threads.json" 2> "$RAW/tsa-inprocess-$threads.err" \
      || { cat "$RAW/tsa-inprocess-$threads.err" >&2; die "signet-bench tsa ($threads threads) failed"; }
    log "tsa in-process x$threads: $(json "$RAW/tsa-inprocess-$threads.json" '.tokens_per_second | floor') tokens/s"
  done
  # Issuance without HTTP: the CA's part of the HTTP figure (CSR check, lint, record, HSM signature and
  # its check, completion, audit), as many issuances in flight as the load test has connections.
  for name in p256 rsa; do
    record "$SIGNET_BENCH" issue --home "$RESULTS/home-$name" --csr "$WORK/dev.csr" --seconds "$HSM_SECONDS" --concurrency "$CONNECTIONS"
    "$SIGNET_BENCH" issue --home "$RESULTS/home-$name" --csr "$WORK/dev.csr" --seconds "$HSM_SECONDS" --concurrency "$CONNECTIONS" \
      > "$RAW/issue-inprocess-$name.json" 2> "$RAW/issue-inprocess-$name.err" \
      || { cat "$RAW/issue-inprocess-$name.err" >&2; die "signet-bench issue ($name) failed"; }
    log "issuance in-process ($name): $(json "$RAW/issue-inprocess-$name.json" '.certificates_per_second | floor') certificates/s, $(json "$RAW/issue-inprocess-$name.json" '.cpu_us_per_certificate | floor') us of CPU each"
  done
}

phase_store() {
  log "store scale: $STORE_ROWS certificates in bulk, then GET /api/v1/certificates?team=…&expiring_within=…"
  run "$SIGNET_BENCH" populate --home "$RESULTS/home-p256" --count "$STORE_ROWS" > "$RAW/populate.json" 2> "$RAW/populate.err" \
    || { cat "$RAW/populate.err" >&2; die "signet-bench populate failed"; }
  log "populate: $(json "$RAW/populate.json" .certificates) certificates in the store ($(json "$RAW/populate.json" '.seconds | floor') s to insert)"
  signet_start p256 "$SIGNET_PORT"
  token p256 --role ci --team payments --name bench-list; local ci=$TOKEN
  local url="http://127.0.0.1:$SIGNET_PORT/api/v1/certificates?team=payments&expiring_within=48h&limit=100"
  expect_status 200 "Signet list" -H "Authorization: Bearer $ci" "$url" > "$WORK/list.json"
  python3 - "$WORK/list.json" "$RAW/list-sample.json" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
items = body if isinstance(body, list) else next((v for v in body.values() if isinstance(v, list)), [])
json.dump({"items": len(items), "bytes": len(open(sys.argv[1], "rb").read())}, open(sys.argv[2], "w"))
if not items:
    sys.exit("the list request returned no certificate")
EOF
  # One client first (the per-query cost), after a one-connection warm-up that brings the freshly
  # restarted server's page cache in (one connection leaves no queued requests behind), then the usual
  # connections without a warm-up: at this size a 32-connection warm-up's queued requests would still
  # be running in the measured run.
  THREADS=1 CONNECTIONS=1 load signet-list-1 "$url" BENCH_TOKEN="$ci"
  WARMUP=0 load signet-list "$url" BENCH_TOKEN="$ci"
  python3 - "$RAW/server-memory.json" "/proc/$SIGNET_PID/status" <<'EOF'
import json, sys
fields = {l.split(":")[0]: int(l.split()[1]) for l in open(sys.argv[2]) if l.startswith(("VmRSS", "VmHWM"))}
json.dump({"vmrss_kib": fields["VmRSS"], "vmhwm_kib": fields["VmHWM"]}, open(sys.argv[1], "w"))
EOF
  stop_pid "$SIGNET_PID"
}

phase_crl() {
  log "CRL: Signet (fresh P-256 home) and openssl ca -gencrl, entries: $CRL_SIZES"
  signet_init crl "$SIGNET_PORT" "$ROOT/Profiles"
  "$SIGNET" ca export issuing --pem --home "$RESULTS/home-crl" > "$WORK/issuing-crl.pem"
  local dir=$WORK/openssl-ca ca=$WORK/cfssl-p256
  mkdir -p "$dir"
  for n in $CRL_SIZES; do
    run "$SIGNET_BENCH" crl --home "$RESULTS/home-crl" --entries "$n" --out "$WORK/signet-crl-$n.der" > "$RAW/signet-crl-$n.json" 2> "$RAW/signet-crl-$n.err" \
      || { cat "$RAW/signet-crl-$n.err" >&2; die "signet-bench crl --entries $n failed"; }
    openssl crl -inform DER -in "$WORK/signet-crl-$n.der" -noout -CAfile "$WORK/issuing-crl.pem" -verify 2> "$WORK/crl-verify.txt" \
      || { cat "$WORK/crl-verify.txt" >&2; die "Signet's $n-entry CRL does not verify"; }
    [ "$(json "$RAW/signet-crl-$n.json" .crl_entries)" = "$n" ] || die "Signet's CRL has $(json "$RAW/signet-crl-$n.json" .crl_entries) entries, expected $n"
    log "signet crl $n: $(json "$RAW/signet-crl-$n.json" .seconds) s, peak $(json "$RAW/signet-crl-$n.json" .peak_rss_kib) KiB"

    # openssl ca -gencrl over an index of n revoked entries, reasons spread as Signet's synthetic rows.
    python3 - "$dir/index-$n.txt" "$n" <<'EOF'
import datetime, random, secrets, sys
path, n = sys.argv[1], int(sys.argv[2])
now = datetime.datetime.now(datetime.timezone.utc)
expiry = (now + datetime.timedelta(days=7)).strftime("%y%m%d%H%M%SZ")
reasons = ["", ",keyCompromise", ",superseded", ",cessationOfOperation"]
seen = set()
with open(path, "w") as f:
    while len(seen) < n:
        serial = "%02X" % random.randint(1, 127) + secrets.token_hex(19).upper()
        if serial in seen:
            continue
        seen.add(serial)
        revoked = (now - datetime.timedelta(seconds=random.randint(0, 604800))).strftime("%y%m%d%H%M%SZ")
        f.write(f"R\t{expiry}\t{revoked}{random.choice(reasons)}\t{serial}\tunknown\t/CN=bench {len(seen)}\n")
EOF
    echo 01 > "$dir/crlnumber-$n"
    cat > "$dir/ca-$n.cnf" <<EOF
[ ca ]
default_ca = bench
[ bench ]
database = $dir/index-$n.txt
crlnumber = $dir/crlnumber-$n
certificate = $ca/ca.pem
private_key = $ca/ca-key.pem
default_md = sha256
default_crl_days = 1
unique_subject = no
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
    local t0=${EPOCHREALTIME/./}
    run /usr/bin/time -v -o "$RAW/openssl-crl-$n.time" openssl ca -gencrl -batch -config "$dir/ca-$n.cnf" -out "$WORK/openssl-crl-$n.pem" \
      > "$RAW/openssl-crl-$n.log" 2>&1 || { tail -n 20 "$RAW/openssl-crl-$n.log" >&2; die "openssl ca -gencrl ($n) failed"; }
    local t1=${EPOCHREALTIME/./}
    openssl crl -in "$WORK/openssl-crl-$n.pem" -noout -CAfile "$ca/ca.pem" -verify 2> "$WORK/crl-verify.txt" \
      || { cat "$WORK/crl-verify.txt" >&2; die "openssl's $n-entry CRL does not verify"; }
    python3 - "$RAW/openssl-crl-$n.time" "$RAW/openssl-crl-$n.json" "$WORK/openssl-crl-$n.pem" "$t0" "$t1" <<'EOF'
import json, os, sys
text = open(sys.argv[1]).read()
def field(name):
    return next(l.split(": ", 1)[1].strip() for l in text.splitlines() if l.strip().startswith(name))
# Wall time from the shell's microsecond clock (time -v prints centiseconds); memory from time -v.
seconds = (int(sys.argv[5]) - int(sys.argv[4])) / 1e6
json.dump({"seconds": seconds, "peak_rss_kib": int(field("Maximum resident set size")),
           "user_seconds": float(field("User time")), "system_seconds": float(field("System time")),
           "crl_pem_bytes": os.path.getsize(sys.argv[3])}, open(sys.argv[2], "w"))
EOF
    log "openssl ca -gencrl $n: $(json "$RAW/openssl-crl-$n.json" .seconds) s, peak $(json "$RAW/openssl-crl-$n.json" .peak_rss_kib) KiB"
  done
}

# ---------------------------------------------------------------------------------------------

prepare
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/dev.key" -subj /CN=bench-developer \
  -out "$WORK/dev.csr" 2>/dev/null || die "could not make the developer CSR"
phase_signet_p256
phase_signet_rsa
phase_cfssl
phase_ocsp_peers
phase_openssl_ts
phase_hsm
phase_store
phase_crl

log "report"
python3 -c 'import json,sys; json.dump({"loadavg": open("/proc/loadavg").read().split()[:3]}, open(sys.argv[1], "w"))' "$RAW/end.json"
record python3 Benchmarks/report.py
python3 "$BENCH/report.py" --results "$RESULTS" --template "$BENCH/README.template.md" --out "$BENCH/README.md" \
  --config "duration=$DURATION warmup=$WARMUP threads=$THREADS connections=$CONNECTIONS hsm_seconds=$HSM_SECONDS store_rows=$STORE_ROWS crl_sizes=$CRL_SIZES"
log "done in $(($(date +%s) - STARTED)) s; raw numbers in Benchmarks/results/results.json"
