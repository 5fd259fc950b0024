#!/usr/bin/env bash
# `make info`: the build's configuration, the toolchain and the test bed it will use.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cache=$build/CMakeCache.txt
get() { sed -n "s/^$1:[A-Z]*=//p" "$cache" 2>/dev/null; }
kver=$(scripts/kver.sh 2>/dev/null)

echo "MicroV $(sed -n 's/^project(microv VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
printf '  %-22s %s\n' \
  "build tree" "$build" \
  "build type" "$(get CMAKE_BUILD_TYPE)" \
  "sanitizers (ASan+UBSan)" "$(get MICROV_SANITIZE)  (build-asan tree for 'make unit-asan')" \
  "C++ compiler" "$(get CMAKE_CXX_COMPILER) ($(clang++ --version | head -n1))" \
  "linker for images" "$(get MICROV_LLD)" \
  "ring-0 image" "$build/kernel/microv_kernel.elf" \
  "ring-3 image" "$build/vmm/microv_vmm.elf" \
  "loader module" "$build/loader/linux/microv_loader.ko" \
  "vmmctl" "$build/tools/vmmctl/vmmctl" \
  "test bed kernel" "/boot/vmlinuz-$kver" \
  "module headers" "/lib/modules/$kver/build" \
  "test bed machine" "qemu-system-x86_64 -accel tcg -cpu EPYC,+svm,+npt -smp \$CPUS -m 1024" \
  "serial ports" "COM1 hypervisor, COM2 root-OS console, COM3 test results" \
  "integration tests" "$(ls tests/integration/*.sh | xargs -n1 basename | sed 's/\.sh$//' | tr '\n' ' ')"
