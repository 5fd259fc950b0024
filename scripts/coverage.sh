#!/usr/bin/env bash
# `make coverage`: line and branch coverage of the logic by the host unit tests (clang source-based
# coverage), for every non-test source that the unit tests compile.
#   scripts/coverage.sh BUILD_DIR   (a tree configured with -DMICROV_COVERAGE=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build-cov}" && pwd)
profdata=$(command -v llvm-profdata || command -v llvm-profdata-14)
cov=$(command -v llvm-cov || command -v llvm-cov-14)
rm -rf "$build/profiles"
LLVM_PROFILE_FILE="$build/profiles/%p.profraw" ctest --test-dir "$build" -E '^image_check' >/dev/null
"$profdata" merge -sparse "$build"/profiles/*.profraw -o "$build/unit.profdata"
"$cov" report "$build/tests/microv_unit_tests" -instr-profile="$build/unit.profdata" \
  -ignore-filename-regex='(/usr/|/tests/|gtest)' -show-branch-summary
