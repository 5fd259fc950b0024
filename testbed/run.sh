#!/usr/bin/env bash
# Boots the test bed (Debian's kernel + a busybox initramfs holding MicroV's modules, tools and
# tests) in QEMU/TCG with AMD SVM+NPT, runs scripts inside it and collects their results.
#
#   testbed/run.sh [options] SCRIPT...
#     --build DIR         build tree holding the modules, tools and test helpers (default: build)
#     --cpus N            virtual CPUs (default 2)
#     --cpu MODEL         QEMU CPU model, overriding each script's '# testbed-cpu:' line
#     --files "A B"       extra files copied into the machine's work directory (/microv/work)
#     --boot-timeout S    seconds the whole boot may take (default: 90 + the scripts' timeouts)
#     --gdb               start QEMU halted with its gdb stub on localhost:1234
#     --stream            print the scripts' output live (vm-run)
#     --out DIR           where logs and images go (default: BUILD/testbed)
#
# A script may say, in its first lines, '# testbed-cpu: MODEL' and '# timeout: SECONDS' (default 120).
# Scripts that need different CPU models are run in separate boots. The exit status is 0 when every
# script exited 0; with a single script, it is that script's exit status; 124 when a boot hung.
# The machine runs single-threaded TCG (-accel tcg,thread=single): QEMU 7.2's multi-threaded TCG
# corrupts CPU 0's SVM state when other vCPUs restore x87 state (docs/architecture.md, "The test
# bed's emulator"). For hunting emulator bugs: MICROV_QEMU names another QEMU binary,
# MICROV_ACCEL another -accel (e.g. tcg for multi-threaded TCG).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=build
cpus=2
cpu_override=""
files=""
boot_timeout=""
gdb=0
stream=0
out=""
default_cpu="EPYC,+svm,+npt"
scripts=()

while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --cpu) cpu_override=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --boot-timeout) boot_timeout=$2; shift 2 ;;
    --gdb) gdb=1; shift ;;
    --stream) stream=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "testbed: unknown option $1" >&2; exit 2 ;;
    *) scripts+=("$1"); shift ;;
  esac
done

die() { echo "testbed: error: $*" >&2; exit 2; }

((${#scripts[@]})) || die "no script given"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] && ((cpus <= 64)) || die "--cpus must be 1..64, got '$cpus'"
[ -d "$build" ] || die "build tree '$build' not found (run 'make build' first)"
build=$(cd "$build" && pwd)
for s in "${scripts[@]}"; do [ -f "$s" ] || die "script '$s' not found"; done
for f in $files; do [ -e "$f" ] || die "file '$f' not found"; done

kver=$("$root/scripts/kver.sh") || die "cannot tell the test bed's kernel version"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "kernel image $kernel not readable (run scripts/deps.sh)"
busybox=$(command -v busybox) || die "busybox not found (run scripts/deps.sh)"

# header VALUE of a script: the text after '# NAME:' in its first 10 lines
header() { sed -n "1,10s/^# $2: *//p" "$1" | head -n1; }

out=${out:-$build/testbed}
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)

# Builds the base of the root file system once per build: busybox, init, modules, tools.
make_base() {
  local base=$out/base
  rm -rf "$base"
  mkdir -p "$base"/{bin,sbin,proc,sys,dev,tmp,root,etc,microv/{bin,modules,tests,work}}
  cp "$busybox" "$base/bin/busybox"
  for applet in $("$busybox" --list); do
    [ -e "$base/bin/$applet" ] || ln -s busybox "$base/bin/$applet"
  done
  install -m 0755 "$here/init" "$base/init"
  find "$build/loader/linux" -maxdepth 1 -name '*.ko' -exec cp {} "$base/microv/modules/" \; 2>/dev/null
  # Debian's msr module: /dev/cpu/N/msr, for the tests' checks of the MSRs MicroV touches.
  local msr_ko=/lib/modules/$kver/kernel/arch/x86/kernel/msr.ko
  [ -r "$msr_ko" ] || die "$msr_ko not found (run scripts/deps.sh)"
  cp "$msr_ko" "$base/microv/modules/"
  # Debian's KVM for AMD and what it needs, loaded only by whoever wants the reference hypervisor
  # (scripts/bench-exits.sh): irqbypass, kvm, ccp, kvm-amd, in that order.
  mkdir -p "$base/microv/kvm-modules"
  for ko in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko; do
    [ -r "/lib/modules/$kver/kernel/$ko" ] || die "/lib/modules/$kver/kernel/$ko not found (run scripts/deps.sh)"
    cp "/lib/modules/$kver/kernel/$ko" "$base/microv/kvm-modules/"
  done
  for tool in "$build"/tools/vmmctl/vmmctl "$build"/tests/integration/bin/*; do
    [ -f "$tool" ] && [ -x "$tool" ] && cp "$tool" "$base/microv/bin/"
  done
  mkdir -p "$base/microv/lib/microv" "$base/microv/test-modules" "$base/microv/vms"
  find "$build/tests/integration/modules" -maxdepth 1 -name '*.ko' -exec cp {} "$base/microv/test-modules/" \; 2>/dev/null
  # The tiny test guests (vms/), flat binaries the test programs load into a guest's RAM.
  find "$build/vms" -maxdepth 1 -name '*.bin' -exec cp {} "$base/microv/vms/" \; 2>/dev/null
  cp "$build/kernel/microv_kernel.bin" "$build/kernel/microv_kernel_faulty.bin" "$build/vmm/microv_vmm.elf" \
    "$build/vmm/microv_vmm_faulty.elf" \
    "$base/microv/lib/microv/"
  cp "$root"/tests/integration/lib/*.sh "$base/microv/tests/"
  echo "root:x:0:0:root:/root:/bin/sh" >"$base/etc/passwd"
}

# Makes the initramfs for one boot: the base plus the scripts, their plan and the user's files.
make_initramfs() {
  local image=$1; shift
  local stage=$out/stage
  rm -rf "$stage"
  cp -a "$out/base" "$stage"
  : >"$stage/microv/plan"
  local s name t
  for s in "$@"; do
    name=$(basename "$s" .sh)
    t=$(header "$s" timeout); t=${t:-120}
    cp "$s" "$stage/microv/tests/$name.sh"
    echo "$name $t" >>"$stage/microv/plan"
  done
  for f in $files; do cp -a "$f" "$stage/microv/work/"; done
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1 >"$image")
}

# Reads the results port as it fills and turns it into per-script logs and verdicts.
# Prints one line per script; leaves 'status' files in $out for the caller.
follow_results() {
  local results=$1 qpid=$2
  local current="" line
  tail -n +1 -F --pid="$qpid" "$results" 2>/dev/null | tr -d '\r' | while IFS= read -r line; do
    case "$line" in
      "@@MVTEST begin "*)
        current=${line#@@MVTEST begin }
        : >"$out/logs/$current.log"
        echo "$current" >"$out/current" ;;
      "@@MVTEST end "*)
        set -- ${line#@@MVTEST end }
        echo "$1 $2 $3" >>"$out/verdicts"
        if [ "$2" = 0 ]; then v=PASS; else v="FAIL (exit $2)"; fi
        printf 'testbed:   %-40s %s  %ss\n' "$1" "$v" "$3"
        # a failure shows its log right away, so CI's output is enough to see why
        if [ "$2" != 0 ] && ((!stream)); then sed 's/^/  | /' "$out/logs/$1.log"; fi
        current=""; rm -f "$out/current" ;;
      "@@MVTEST done") echo done >"$out/finished" ;;
      "@@MVTEST fatal "*) echo "testbed: guest: ${line#@@MVTEST fatal }"; echo "${line#@@MVTEST fatal }" >>"$out/fatal" ;;
      "@@MVTEST boot "*) echo "testbed:   booted: ${line#@@MVTEST boot }" ;;
      *)
        if [ -n "$current" ]; then
          echo "$line" >>"$out/logs/$current.log"
          ((stream)) && echo "$line"
        fi ;;
    esac
  done
}

# Boots once with the given CPU model and scripts; returns 0 when all passed.
boot() {
  local model=$1; shift
  local image=$out/initramfs.cpio.gz
  local t total=0 s
  for s in "$@"; do t=$(header "$s" timeout); total=$((total + ${t:-120})); done
  local limit=${boot_timeout:-$((90 + total))}
  make_initramfs "$image" "$@"

  boots=$((boots + 1))
  local tag="boot$boots"
  rm -f "$out/verdicts" "$out/finished" "$out/current" "$out/fatal"
  : >"$out/$tag.results.log"; : >"$out/$tag.console.log"; : >"$out/$tag.microv.log"
  local qemu=("${MICROV_QEMU:-qemu-system-x86_64}" -accel "${MICROV_ACCEL:-tcg,thread=single}" -cpu "$model" -smp "$cpus" -m 1024
    -nodefaults -display none -no-reboot
    -kernel "$kernel" -initrd "$image"
    -append "console=ttyS1 panic=-1 oops=panic loglevel=6"
    -serial "file:$out/$tag.microv.log" -serial "file:$out/$tag.console.log" -serial "file:$out/$tag.results.log")
  if ((gdb)); then
    qemu+=(-s -S)
    limit=0
    echo "testbed: QEMU waits for gdb on localhost:1234 (gdb -ex 'target remote :1234')"
  fi
  echo "testbed: booting $kver: cpus=$cpus cpu=$model, ${#@} script(s), limit ${limit}s"
  local started=$SECONDS
  timeout --foreground -k 5 "$limit" "${qemu[@]}" 2>"$out/$tag.qemu.log" &
  local qpid=$!
  follow_results "$out/$tag.results.log" "$qpid"
  wait "$qpid"
  local qrc=$?
  local elapsed=$((SECONDS - started))

  local ok=1
  if [ -f "$out/fatal" ]; then ok=0; fi
  if [ ! -f "$out/finished" ]; then
    ok=0
    local where="before the first script"
    [ -f "$out/current" ] && where="during $(cat "$out/current")"
    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
      echo "testbed: HANG: the machine made no end within ${limit}s ($where)"
      hung=1
    else
      echo "testbed: CRASH: the machine stopped (qemu exit $qrc) $where"
    fi
    echo "testbed: last lines of the console ($out/$tag.console.log):"
    tail -n 25 "$out/$tag.console.log" | sed 's/^/  | /'
  fi
  for s in "$@"; do
    local name; name=$(basename "$s" .sh)
    if ! grep -q "^$name " "$out/verdicts" 2>/dev/null; then
      ok=0
      echo "testbed:   $(printf '%-40s' "$name") NOT RUN TO THE END"
      echo "$name 125 0" >>"$out/all-verdicts"
    fi
  done
  [ -f "$out/verdicts" ] && cat "$out/verdicts" >>"$out/all-verdicts"
  echo "testbed: boot took ${elapsed}s"
  ((ok))
}

make_base
: >"$out/all-verdicts"
rm -f "$out"/boot*.log "$out"/logs/*.log
hung=0
boots=0

# Group the scripts by CPU model, keeping their order, and boot once per group.
declare -A groups=()
order=()
for s in "${scripts[@]}"; do
  m=${cpu_override:-$(header "$s" testbed-cpu)}
  m=${m:-$default_cpu}
  [ -n "${groups[$m]+x}" ] || order+=("$m")
  groups[$m]+="$s"$'\n'
done
for m in "${order[@]}"; do
  mapfile -t group < <(printf '%s' "${groups[$m]}")
  boot "$m" "${group[@]}"
done

passed=$(awk '$2 == 0' "$out/all-verdicts" | wc -l)
failed=$(awk '$2 != 0' "$out/all-verdicts" | wc -l)
echo "testbed: logs in $out: logs/<script>.log, boot<N>.console.log (root OS), boot<N>.microv.log (hypervisor)"
echo "testbed: $passed passed, $failed failed"
if ((${#scripts[@]} == 1)); then
  rc=$(awk 'NR == 1 {print $2}' "$out/all-verdicts")
  ((hung)) && exit 124
  exit "${rc:-125}"
fi
((hung)) && exit 124
((failed == 0))
