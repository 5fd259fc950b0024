#!/usr/bin/env bash
# Checks that a freestanding image is what MicroV's loaders expect:
#   check_image.sh IMAGE RING   (RING is 0 or 3)
# - a static x86-64 ELF executable: no interpreter, no dynamic section, no undefined symbols;
# - every loadable segment page-aligned and never both writable and executable (W^X);
# - the entry point inside an executable segment;
# - no x87, MMX, SSE or AVX instruction anywhere (the VS that exited owns that state; finding 7
#   of the isolation issue), but in ring 0 the XSAVE family in mk::lazy_state_switch alone, which
#   saves one VS's state and loads another's (kernel/src/lazy_state.cpp), and one FXSAVE in
#   mk::fpu_init, which reads MXCSR_MASK;
# - ring 0: all segments in the top 2 GiB; ring 3: all segments in the lower half.
set -euo pipefail
image=$1 ring=$2
fail() { echo "check_image: $image: $*" >&2; exit 1; }

[ -f "$image" ] || fail "not found"
hdr=$(readelf -h "$image") || fail "not an ELF file"
grep -q 'Class:[[:space:]]*ELF64' <<<"$hdr" || fail "not ELF64"
grep -q 'Type:[[:space:]]*EXEC' <<<"$hdr" || fail "not a static executable (type EXEC)"
grep -q 'Machine:[[:space:]]*Advanced Micro Devices X86-64' <<<"$hdr" || fail "not x86-64"
entry=$(awk '/Entry point address/ {print $4}' <<<"$hdr")

phdrs=$(readelf -lW "$image")
grep -q 'INTERP' <<<"$phdrs" && fail "has an interpreter"
grep -q 'DYNAMIC' <<<"$phdrs" && fail "has a dynamic section"
undefined=$(readelf -sW "$image" | awk '$7 == "UND" && $8 != "" {print $8}')
[ -z "$undefined" ] || fail "undefined symbols: $undefined"

loads=$(awk '$1 == "LOAD" {print $3, $6, $7, $8, $NF}' <<<"$phdrs")
[ -n "$loads" ] || fail "no loadable segment"
entry_ok=0
while read -r vaddr memsz flags1 flags2 align; do
  flags="$flags1$flags2"
  flags=${flags//0x*/}
  v=$((vaddr)) m=$((memsz)) e=$((entry))
  (( v % 4096 == 0 )) || fail "segment at $vaddr is not page-aligned"
  [[ "$flags" == *W*E* ]] && fail "segment at $vaddr is writable and executable"
  if [ "$ring" = 0 ]; then
    [[ "$vaddr" == 0xffffffff8* || "$vaddr" == 0xffffffff[9a-f]* ]] || fail "ring-0 segment at $vaddr is outside the top 2 GiB"
  else
    (( v > 0 && v < 0x0000800000000000 )) || fail "ring-3 segment at $vaddr is outside the lower half"
  fi
  if [[ "$flags" == *E* ]]; then
    # signed 64-bit arithmetic is right here: a segment never straddles the sign boundary
    (( e >= v && e < v + m )) && entry_ok=1
  fi
done <<<"$loads"
((entry_ok)) || fail "entry point $entry is not in an executable segment"

# Any x87/MMX/SSE/AVX register operand, or an instruction that touches that state without one
# (x87 mnemonics start with f; emms, the MXCSR and the XSAVE family).
# Each line is prefixed with its function, so that ring 0's one allowed use can be told apart.
# fpu_init may FXSAVE once: it only reads the CPU's state, for MXCSR_MASK.
switcher='(<mk::lazy_state_switch\(mk::pp_state&, unsigned short\)>:'$'\t''[0-9a-f]+:'$'\t''(xsave64|xrstor64|fxsave64|fxrstor64)|<mk::fpu_init\(\)>: *'$'\t''[0-9a-f]+:'$'\t''fxsave64) \(%r[a-z0-9]+\)$'
simd=$(objdump -d -C --no-show-raw-insn "$image" |
  awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 " " $3 " " $4; sub(/^[^<]*/, "", fn); next } { print fn "\t" $0 }' |
  grep -E $'\t''(f([a-rt-z0-9][a-z0-9]*|s[a-z0-9]+)|emms|[lsv]*stmxcsr|[lv]*ldmxcsr|xsave[a-z0-9]*|xrstor[a-z0-9]*)([[:space:]]|$)|%([xyz]mm[0-9]|mm[0-7]|st(\(|$|[^a-z])|k[0-7])' |
  { if [ "$ring" = 0 ]; then grep -Ev "^$switcher"; else cat; fi } |
  head -3 || true)
[ -z "$simd" ] || fail "uses x87/MMX/SSE/AVX state:"$'\n'"$simd"
echo "check_image: $image: ok (ring $ring, entry $entry)"
