#!/usr/bin/env bash
# `make test`: every test MicroV has, in order of cost. Every stage runs even when an earlier one
# failed, so one run shows everything that is wrong; the exit status is non-zero if any failed.
#   1. build (Debug) and host unit tests + image checks (ctest)
#   2. the same unit tests built with ASan + UBSan
#   3. formatting (clang-format) and static analysis (clang-tidy)
#   4. every integration test in the test bed, on 1, 2 and 4 CPUs
#   5. the test bed's own check: a failing script and a hung machine must both be reported
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
passed=0 failed=0
failed_stages=()
started=$SECONDS

stage() { echo; echo "=== $* ($((SECONDS - started))s)"; }
record() { # record NAME STATUS [PASSED FAILED]
  passed=$((passed + ${3:-0})); failed=$((failed + ${4:-0}))
  if [ "$2" -ne 0 ]; then failed_stages+=("$1"); fi
}

# ctest_counts LOG: prints "PASSED FAILED" from ctest's summary line.
ctest_counts() {
  sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p' "$1" | tail -n1 |
    awk '{print $1 - $2, $2}'
}

run_ctest() { # run_ctest NAME BUILD_DIR
  local log; log=$(mktemp)
  ctest --test-dir "$2" --output-on-failure -j "$jobs" 2>&1 | tee "$log" | grep -Ev '^ +Start|Test +#[0-9]+: .* Passed'
  local rc=${PIPESTATUS[0]}
  local counts; counts=$(ctest_counts "$log")
  rm -f "$log"
  # no summary at all means ctest found nothing to run: that is a failure too
  [ -n "$counts" ] || { rc=1; counts="0 1"; }
  record "$1" "$rc" $counts
}

run_testbed() { # run_testbed NAME ARGS...
  local name=$1; shift
  local log; log=$(mktemp)
  testbed/run.sh "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local counts; counts=$(sed -n 's/^testbed: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n1)
  rm -f "$log"
  [ -n "$counts" ] || { rc=1; counts="0 1"; }
  record "$name" "$rc" $counts
}

stage "build (Debug)"
if make --no-print-directory build >/tmp/microv-build.log 2>&1; then
  tail -n 1 /tmp/microv-build.log
  built=1
else
  cat /tmp/microv-build.log
  record build 1 0 1
  built=0
fi

if ((built)); then
  stage "unit tests and image checks"
  run_ctest unit build
fi

stage "unit tests under ASan + UBSan"
if make --no-print-directory build-asan >/tmp/microv-asan.log 2>&1; then
  run_ctest unit-asan build-asan
else
  cat /tmp/microv-asan.log
  record build-asan 1 0 1
fi

stage "format-check"
if make --no-print-directory format-check; then record format 0 1 0; else record format 1 0 1; fi

if ((built)); then
  stage "clang-tidy"
  if scripts/tidy.sh build; then record tidy 0 1 0; else record tidy 1 0 1; fi

  for cpus in 1 2 4; do
    stage "integration tests in the test bed, $cpus CPU(s)"
    run_testbed "integration-$cpus" --build build --cpus "$cpus" tests/integration/*.sh
  done

  stage "test bed self-check: failures and hangs are caught"
  if tests/testbed/selftest.sh build; then record testbed-selftest 0 1 0; else record testbed-selftest 1 0 1; fi
fi

echo
echo "=== make test took $((SECONDS - started))s"
if ((${#failed_stages[@]})); then
  echo "failed stages: ${failed_stages[*]}"
fi
echo "total: $passed passed, $failed failed"
((${#failed_stages[@]} == 0))
