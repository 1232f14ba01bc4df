#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a fixed number of executions from a fixed
# seed, starting from the committed seed corpus (Fuzz/Corpus/<target>). Deterministic: the same
# commit, FUZZ_RUNS and FUZZ_SEED make the same inputs. Exits non-zero on the first target that
# crashes, with the input that did it under Fuzz/.work/artifacts/.
#
#   FUZZ_RUNS     executions per target (default 200000; `make test` uses a short budget)
#   FUZZ_SEED     libFuzzer -seed (default 1)
#   FUZZ_TARGETS  space-separated subset of targets (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${FUZZ_RUNS:-200000}
seed=${FUZZ_SEED:-1}
# Every target: each folder of Fuzz/Sources but the shared FuzzSupport.
all=$(cd Fuzz/Sources && ls -d Fuzz* | grep -v '^FuzzSupport$' | tr '\n' ' ')
read -r -a targets <<< "${FUZZ_TARGETS:-$all}"

work=Fuzz/.work
mkdir -p "$work/artifacts"
started=$(date +%s)
# --sanitize=fuzzer compiles every module with libFuzzer's coverage instrumentation and links its driver.
if ! swift build --package-path Fuzz --sanitize=fuzzer > "$work/build.log" 2>&1; then
  grep -E "error" "$work/build.log" >&2 || tail -40 "$work/build.log" >&2
  echo "fuzz: the build of Fuzz/ failed (log: $work/build.log)" >&2
  exit 1
fi
bin=$(swift build --package-path Fuzz --sanitize=fuzzer --show-bin-path)
echo "fuzz: built in $(( $(date +%s) - started )) s; ${runs} executions per target, seed ${seed}"

for target in "${targets[@]}"; do
  # A fresh working corpus each time: new inputs go there, never into the committed seeds, and the
  # run depends on nothing but the seeds, the seed and the budget.
  rm -rf "${work:?}/corpus/$target"
  mkdir -p "$work/corpus/$target"
  dict=()
  [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=("-dict=Fuzz/Dictionaries/$target.dict")
  log="$work/$target.log"
  target_started=$(date +%s%N)
  # Swift's own crash handler would catch the trap before libFuzzer could save the input, and
  # Swift seeds its hashing per process, which changes dictionary order and so the paths a run takes.
  if ! SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1 "$bin/$target" -seed="$seed" -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" "${dict[@]}" "$work/corpus/$target" "Fuzz/Corpus/$target" > "$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $target crashed; the input is in $work/artifacts/ (log: $log)." >&2
    echo "fuzz: reproduce with: SWIFT_BACKTRACE=enable=no $bin/$target $work/artifacts/$target-crash-…; then add it as a regression test." >&2
    exit 1
  fi
  elapsed_ms=$(( ($(date +%s%N) - target_started) / 1000000 ))
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(( executed * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  units=$(find "$work/corpus/$target" -type f | wc -l)
  printf 'fuzz: %-18s %8s executions in %4d.%d s (%6s/s), coverage %5s, %4s new inputs, no crash\n' \
    "$target" "$executed" $(( elapsed_ms / 1000 )) $(( elapsed_ms % 1000 / 100 )) "$rate" "${coverage:-?}" "$units"
done
echo "fuzz: ${#targets[@]} targets, no crash, $(( $(date +%s) - started )) s in all"
