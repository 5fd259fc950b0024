#!/usr/bin/env bash
# Runs clang-tidy (checks in .clang-tidy) over MicroV's own C and C++ sources that CMake compiles,
# using the build's compile_commands.json:
#   scripts/tidy.sh BUILD_DIR
# Kernel modules (the loader, test modules) are built by kbuild, not CMake, and so are not
# covered; the loader's common code is.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "tidy: $build/compile_commands.json missing: run 'make build'" >&2; exit 2; }
mapfile -t files < <(git ls-files 'kernel/*.cpp' 'vmm/*.cpp' 'lib/*.cpp' 'loader/common/*.c' 'tools/*.cpp' 'tests/*.cpp' 'tests/*.c' ':!tests/integration/modules')
echo "tidy: ${#files[@]} files"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 2 clang-tidy -p "$build" --quiet 2>/dev/null
