#!/usr/bin/env bash
# check_image.sh must refuse an image that uses FPU state: builds one tiny ring-3 image per
# forbidden kind of instruction and one clean image, and checks that check_image.sh refuses each
# of the former and accepts the latter; and ring-0 images, where only mk::lazy_state_switch may
# use the XSAVE family.   check_image_selftest.sh CHECK_IMAGE WORKDIR
set -euo pipefail
check=$1 work=$2
mkdir -p "$work"
lld=$(command -v ld.lld || command -v ld.lld-14)

image() { # image NAME INSTRUCTION: a static image whose _start runs INSTRUCTION then loops
  printf '.globl _start\n.text\n_start:\n%s\n1: jmp 1b\n' "$2" >"$work/$1.S"
  clang --target=x86_64-unknown-none-elf -c "$work/$1.S" -o "$work/$1.o"
  "$lld" -static --no-pie -e _start -z separate-loadable-segments -z max-page-size=4096 \
    -o "$work/$1.elf" "$work/$1.o"
}

failures=0
image clean 'xor %eax, %eax'
if ! "$check" "$work/clean.elf" 3 >/dev/null; then
  echo "check_image_selftest: a clean image was refused"; failures=$((failures + 1))
fi
kinds=('sse:xorps %xmm0, %xmm0' 'avx:vpxor %ymm1, %ymm1, %ymm1' 'avx512:kmovw %k1, %eax'
  'mmx:movq %mm0, %rax' 'x87:fninit' 'x87st:fld %st(1)' 'mxcsr:ldmxcsr (%rsp)' 'xsave:xsave (%rsp)'
  'fxrstor:fxrstor (%rsp)')
for kind in "${kinds[@]}"; do
  image "${kind%%:*}" "${kind#*:}"
  if "$check" "$work/${kind%%:*}.elf" 3 >/dev/null 2>&1; then
    echo "check_image_selftest: '${kind#*:}' was accepted"; failures=$((failures + 1))
  fi
done
# Ring 0: the XSAVE family only inside mk::lazy_state_switch, nothing else there or anywhere.
switcher=_ZN2mk17lazy_state_switchERNS_8pp_stateEt
image0() { # image0 NAME SYMBOL INSTRUCTION: a ring-0 image whose function SYMBOL runs INSTRUCTION
  printf '.globl _start\n.text\n_start:\ncall %s\n1: jmp 1b\n.globl %s\n%s:\n%s\nret\n' "$2" "$2" "$2" "$3" \
    >"$work/$1.S"
  clang --target=x86_64-unknown-none-elf -c "$work/$1.S" -o "$work/$1.o"
  "$lld" -static --no-pie -e _start --image-base=0xffffffff80000000 -z separate-loadable-segments -z max-page-size=4096 \
    -o "$work/$1.elf" "$work/$1.o"
}
image0 r0_switch "$switcher" 'xsave64 (%rdi)'
if ! "$check" "$work/r0_switch.elf" 0 >/dev/null; then
  echo "check_image_selftest: XSAVE in lazy_state_switch was refused in ring 0"; failures=$((failures + 1))
fi
for case in "r0_sse:$switcher:xorps %xmm0, %xmm0" "r0_other:other_function:xsave64 (%rdi)" \
  "r0_fninit:$switcher:fninit"; do
  IFS=: read -r name sym insn <<<"$case"
  image0 "$name" "$sym" "$insn"
  if "$check" "$work/$name.elf" 0 >/dev/null 2>&1; then
    echo "check_image_selftest: '$insn' in $sym was accepted in ring 0"; failures=$((failures + 1))
  fi
done
echo "check_image_selftest: $failures failure(s), ${#kinds[@]} forbidden kinds tried, 4 ring-0 cases"
[ "$failures" -eq 0 ]
