# Helpers for integration tests; the test bed copies this file to /microv/tests/testlib.sh.
# A test is a busybox sh script; it passes when it exits 0. Start a test with:
#   . /microv/tests/testlib.sh

failures=0
# The kernel log as it was when the test began; later checks look only at what came after.
_dmesg_mark=$(dmesg | wc -l)

# fail MESSAGE: records a failure and says why.
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# ok MESSAGE: says what was checked.
ok() { echo "ok: $*"; }

# expect_status WANT GOT WHAT
expect_status() {
  if [ "$2" -eq "$1" ]; then ok "$3 exited $2"; else fail "$3 exited $2, expected $1"; fi
}

# expect_line TEXT PATTERN: TEXT has a line matching the extended regular expression PATTERN.
expect_line() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok "found /$2/"; else fail "no line matches /$2/"; fi
}

# expect_no_line TEXT PATTERN
expect_no_line() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then fail "unexpected line /$2/"; else ok "no /$2/"; fi
}

# kernel_log_since_start: the kernel's messages since this test began.
kernel_log_since_start() { dmesg | tail -n +$((_dmesg_mark + 1)); }

# expect_clean_kernel_log: no warning, bug or oops in the kernel log since this test began.
expect_clean_kernel_log() {
  expect_no_line "$(kernel_log_since_start)" 'WARNING:|BUG:|Oops|general protection|Call Trace'
}

# finish: ends the test, failing when any check failed.
finish() {
  if [ "${_kprobe_loaded:-0}" = 1 ]; then
    rmmod hypercall_kprobe || fail "rmmod hypercall_kprobe"
    _kprobe_loaded=0
  fi
  if [ "${_microv_started:-0}" = 1 ]; then
    vmmctl stop >/dev/null || fail "vmmctl stop"
    _microv_started=0
  fi
  echo "$failures failure(s)"
  [ "$failures" -eq 0 ]
  exit $?
}

# with_microv: starts MicroV for the rest of the test (stopped again by finish).
with_microv() {
  vmmctl start --pool 8 >/dev/null || { fail "vmmctl start"; finish; }
  _microv_started=1
}

# hypercall WANT_STATUS WHAT ARGS...: one hypercall_probe; checks the status, leaves REG0 in $reg0.
hypercall() {
  want=$1; what=$2; shift 2
  out=$(hypercall_probe "$@")
  echo "$what: $out"
  reg0=$(echo "$out" | sed -n 's/.* reg0 //p')
  expect_line "$out" "^status $want "
}

# MicroV's status codes (abi/include/microv/hypercall.h).
ST_OK=0x0
ST_UNKNOWN=0xdead000000010001
ST_UNSUPPORTED=0xdead000000020001
ST_BAD_HANDLE=0xdead000000040001
ST_PERM_DENIED=0xdead000000010002
ST_BAD_REG1=0xdead000000020003
ST_BAD_REG2=0xdead000000040003

# all_cpus: the numbers of the online CPUs, one a line.
all_cpus() { seq 0 $(($(grep -c ^processor /proc/cpuinfo) - 1)); }

# last_cpu: the number of the last online CPU (0 on a machine of one CPU).
last_cpu() { all_cpus | tail -n 1; }

# with_kprobe: loads the test module hypercall_kprobe for the rest of the test (unloaded by finish):
# /dev/mv_hypercall_kprobe makes hypercalls from kernel mode and owns a page to share with MicroV.
with_kprobe() {
  insmod /microv/test-modules/hypercall_kprobe.ko || { fail "insmod hypercall_kprobe"; finish; }
  _kprobe_loaded=1
}

# kcall WANT_STATUS WHAT ARGS...: one shared_page_probe ARGS (hypercalls from kernel mode, see
# tests/integration/bin/shared_page_probe.c); checks that it ran to its end and that its last
# hypercall's status is WANT_STATUS. Leaves its output in $out and that hypercall's REG0 in $reg0.
kcall() {
  _want=$1; _what=$2; shift 2
  out=$(shared_page_probe ${handle:+--handle "$handle"} "$@" 2>&1); _rc=$?
  echo "$_what: shared_page_probe $*"
  _lines=$(printf '%s\n' "$out" | wc -l)
  printf '%s\n' "$out" | head -n 40 | sed 's/^/  | /'
  [ "$_lines" -le 40 ] || echo "  | ... ($_lines lines)"
  _last=$(printf '%s\n' "$out" | grep '^status ' | tail -n 1)
  reg0=${_last##* reg0 }
  [ "$_rc" -eq 0 ] || fail "$_what: shared_page_probe exited $_rc"
  case "$_last" in
    "status $_want "*) ok "$_what: status $_want" ;;
    *) fail "$_what: '$_last', expected status $_want" ;;
  esac
}

# expect_statuses WANT...: the statuses of the hypercalls in $out (kcall), in order.
expect_statuses() {
  _got=$(printf '%s\n' "$out" | sed -n 's/^status \(0x[0-9a-f]*\) .*/\1/p' | tr '\n' ' ')
  if [ "$_got" = "$* " ]; then ok "statuses $*"; else fail "statuses ${_got% }, expected $*"; fi
}

# expect_reg0s WANT...: REG0 after each hypercall in $out (kcall), in order.
expect_reg0s() {
  _got=$(printf '%s\n' "$out" | sed -n 's/^status 0x[0-9a-f]* reg0 \(0x[0-9a-f]*\)$/\1/p' | tr '\n' ' ')
  if [ "$_got" = "$* " ]; then ok "REG0s $*"; else fail "REG0s ${_got% }, expected $*"; fi
}

# expect_page_unchanged / expect_page_changed: the shared page after the call in $out (kcall).
expect_page_unchanged() { expect_line "$out" '^page unchanged$'; }
expect_page_changed() { expect_line "$out" '^page changed$'; }

# entry_reg FUN SUB N: output N (1: EAX ... 4: EDX) of the CPUID entry FUN SUB in $out (kcall).
entry_reg() {
  printf '%s\n' "$out" | awk -v f="$1" -v s="$2" -v n="$3" '$1 == "entry" && $2 == f && $3 == s { print $(3 + n); exit }'
}

# expect_bits VALUE MASK WANT WHAT: VALUE & MASK is WANT.
expect_bits() {
  if [ -n "$1" ] && [ $(($1 & $2)) -eq $(($3)) ]; then ok "$4"; else fail "$4: '$1' & $2 is not $3"; fi
}

# expect_within_root: every bit of every CPUID entry in $out (kcall) is set in the "root" line after
# it, what CPUID shows the root VM for that leaf.
expect_within_root() {
  _extra=$(printf '%s\n' "$out" | grep -E '^(entry|root) ' | while read -r kind fun sub a b c d; do
    if [ "$kind" = entry ]; then
      ea=$a eb=$b ec=$c ed=$d
    else
      x=$(((ea & ~a) | (eb & ~b) | (ec & ~c) | (ed & ~d)))
      [ "$x" -eq 0 ] || printf '%s %s: bits 0x%x beyond the root VM\n' "$fun" "$sub" "$x"
    fi
  done)
  if [ -z "$_extra" ] && printf '%s\n' "$out" | grep -q '^root '; then
    ok "every bit is one the root VM has"
  else
    fail "${_extra:-no CPUID entry}"
  fi
}

# dump_mark: remembers how much the hypervisor has written to its debug ring so far (the ring
# outlives a start; dump_since_mark is only what came after, even when the ring wrapped).
_dump_to() { # _dump_to FILE: the ring's text in FILE; prints how many older bytes it lost
  vmmctl dump >"$1.raw" 2>/dev/null || : >"$1.raw"
  _lost=$(sed -n '1s/^\[\([0-9]*\) older bytes were overwritten\]$/\1/p' "$1.raw")
  if [ -n "$_lost" ]; then tail -n +2 "$1.raw" >"$1"; else cp "$1.raw" "$1"; fi
  echo "${_lost:-0}"
}
dump_mark() {
  _lost=$(_dump_to /tmp/dump_mark)
  _dump_mark=$((_lost + $(wc -c </tmp/dump_mark)))
}
dump_since_mark() {
  _lost=$(_dump_to /tmp/dump_now)
  _new=$((_lost + $(wc -c </tmp/dump_now) - ${_dump_mark:-0}))
  if [ "$_new" -gt 0 ]; then tail -c "$_new" /tmp/dump_now; fi
}

# expect_clean_dump: no exception or failure in the hypervisor's debug ring since dump_mark.
expect_clean_dump() {
  expect_no_line "$(dump_since_mark)" 'EXCEPTION|failed'
}

# expect_reserved_pp_call RAX REG1 FORM...: starts MicroV and the test module, then checks that a
# PP hypercall the spec reserves is FAILURE_UNSUPPORTED from user space (REG1 in REG1) and from
# the kernel on every PP, with the shared page filled by the shared_page_probe scenario FORM (left
# as it was) and with none; a bad handle is refused first, from both.
expect_reserved_pp_call() {
  _rax=$1; _reg1=$2; shift 2
  with_microv
  with_kprobe
  hypercall $ST_OK "open" --open
  _handle=$reg0
  hypercall $ST_UNSUPPORTED "from user space" "$_rax" "$_handle" "$_reg1"
  hypercall $ST_BAD_HANDLE "a bad handle from user space" "$_rax" 0x1 "$_reg1"
  for pp in $(all_cpus); do
    kcall $ST_UNSUPPORTED "from the kernel on cpu $pp" --cpu "$pp" "$@"
    _expect_page_kept
    kcall $ST_UNSUPPORTED "from the kernel, no shared page on cpu $pp" --cpu "$pp" --no-page call "$_rax" "$_reg1"
  done
  kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 "$@"
  _expect_page_kept
}

# The page as it was, where the last kcall's scenario filled one (cpuid, cdl, rdl).
_expect_page_kept() {
  if printf '%s\n' "$out" | grep -q '^page '; then expect_page_unchanged; fi
}

# cpu_msrs: EFER, VM_CR and VM_HSAVE_PA of every CPU, a line each (msr_probe over Linux's msr
# module); under MicroV these are the root VM's view, without it the CPU's own values.
cpu_msrs() { msr_probe 2>&1; }

# expect_machine_as_found BEFORE: MicroV is gone and left every CPU as it found it: not running,
# no pool memory held, no CPU with MicroV's CPUID signature, and every CPU's EFER (SVME), VM_CR
# and VM_HSAVE_PA as BEFORE (cpu_msrs before the start).
expect_machine_as_found() {
  _st=$(vmmctl status)
  expect_line "$_st" '^microv: not running$'
  expect_line "$_st" '^pool memory held: 0 bytes$'
  _signed=""
  for _c in $(all_cpus); do
    cpuid_probe "$_c" | grep -q '^signature MicroVMicroV$' && _signed="$_signed $_c"
  done
  [ -z "$_signed" ] && ok "no CPU has MicroV's signature" || fail "MicroV's signature still on cpu(s)$_signed"
  _now=$(cpu_msrs)
  if [ "$_now" = "$1" ]; then
    ok "every CPU's EFER, VM_CR and VM_HSAVE_PA as before the start"
  else
    fail "CPU MSRs differ from before the start"
    printf 'before:\n%s\nnow:\n%s\n' "$1" "$_now"
  fi
}

# with_kvm_amd / without_kvm_amd: Debian's KVM for AMD (the reference hypervisor) loaded or
# unloaded; it can run only while MicroV does not.
with_kvm_amd() {
  for ko in irqbypass kvm ccp kvm-amd; do
    insmod /microv/kvm-modules/$ko.ko || return 1
  done
}
without_kvm_amd() { rmmod kvm_amd ccp kvm irqbypass; }

# The VM, VP and VS hypercalls (RAX), and kobj WANT WHAT RAX [REG1] [CPU]: one of them from the
# root VM's kernel (kcall, no shared page) on CPU (default 0), REG0 the handle; REG0 after it in $reg0.
MV_CREATE_VM=0x764d000000040000; MV_DESTROY_VM=0x764d000000040001; MV_VM_VMID=0x764d000000040002
MV_CREATE_VP=0x764d000000050000; MV_DESTROY_VP=0x764d000000050001; MV_VP_VMID=0x764d000000050002
MV_VP_VPID=0x764d000000050003
MV_CREATE_VS=0x764d000000060000; MV_DESTROY_VS=0x764d000000060001; MV_VS_VMID=0x764d000000060002
MV_VS_VPID=0x764d000000060003; MV_VS_VSID=0x764d000000060004
kobj() {
  kcall "$1" "$2" --cpu "${5:-0}" --no-page call "$3" "${4:-0}"
}

# with_objects: MicroV and the test module for a test of the VM, VP and VS hypercalls; the
# handle in $handle.
with_objects() {
  with_microv
  with_kprobe
  hypercall $ST_OK "open" --open
  handle=$reg0
}

# make_guest [CPU]: from the kernel, a guest VM, a VP in it and a VS for it made on CPU (default 0);
# their IDs in $vm, $vp, $vs. destroy_guest: the three again, in the order they must go.
make_guest() {
  kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
  kobj $ST_OK "a VP in it" $MV_CREATE_VP "$vm"; vp=$reg0
  kobj $ST_OK "a VS for it on cpu ${1:-0}" $MV_CREATE_VS "$vp" "${1:-0}"; vs=$reg0
}
destroy_guest() {
  kobj $ST_OK "destroy the VS" $MV_DESTROY_VS "$vs"
  kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
  kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
}

# expect_kernel_only RAX REG1 [REG2]: a hypercall of the root VM's kernel alone is PERM_DENIED
# from user space; a bad handle is refused first, from user space and from the kernel.
expect_kernel_only() {
  hypercall $ST_PERM_DENIED "from user space" "$1" "$handle" "$2" ${3:+"$3"}
  hypercall $ST_BAD_HANDLE "a bad handle from user space" "$1" 0x1 "$2" ${3:+"$3"}
  kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call "$1" "$2" ${3:+"$3"}
}

# guest_run WHAT ARGS...: one guest_probe ARGS (a guest VM run from the root VM's kernel; see
# tests/integration/bin/guest_probe.c); checks that it ran to "guest_probe: done". Leaves its
# output in $out and its exit lines in $exits, without the interrupts and NMIs (the root OS's,
# which may come between any two exits).
guest_run() {
  _what=$1; shift
  out=$(guest_probe "$@" 2>&1); _rc=$?
  echo "$_what: guest_probe $*"
  printf '%s\n' "$out" | uniq -c | head -n 60 | sed 's/^/  | /'
  exits=$(printf '%s\n' "$out" | grep '^exit ' | grep -Ev '^exit (interrupt|nmi)$')
  [ "$_rc" -eq 0 ] || fail "$_what: guest_probe exited $_rc"
  expect_line "$out" '^guest_probe: done$'
}

# expect_exits TEXT: $exits (guest_run) is TEXT, line for line.
expect_exits() {
  if [ "$exits" = "$1" ]; then
    ok "the exits, in order"
  else
    fail "the exits differ"
    printf 'expected:\n%s\ngot:\n%s\n' "$1" "$exits" | sed 's/^/  | /'
  fi
}

# interrupts_after_hlt: how many interrupt exits $out (guest_run) has after the guest's HLT.
interrupts_after_hlt() {
  printf '%s\n' "$out" | sed -n '/^exit hlt shutdown$/,$p' | grep -c '^exit interrupt$'
}

# The real-mode guest (vms/real_mode.S) and its exits from entry 0 to its HLT as guest_probe shows
# them (port 0x13: CPUID leaf 0's EBX, "Auth" of the test bed's AuthenticAMD CPU). Its entry
# REAL_MODE_TRIPLE_FAULT triple-faults.
REAL_MODE_GUEST=/microv/vms/real_mode.bin
REAL_MODE_TRIPLE_FAULT=0x100
REAL_MODE_EXITS='exit io out port 0x10 size 1 data 0x42 reps 1
exit io out port 0x10 size 2 data 0x1234 reps 1
exit io out port 0x10 size 4 data 0xdeadbeef reps 1
exit io in port 0x11 size 1
exit io out port 0x12 size 1 data 0x77 reps 1
exit io out port 0x13 size 4 data 0x68747541 reps 1
exit io out string rep port 0x14 size 1 reps 4 data "mv!\n"
exit mmio write gpa 0xa0010 size 1 data 0x5a
exit mmio read gpa 0xa0020 size 1
exit io out port 0x15 size 1 data 0x99 reps 1
exit hlt shutdown'

# The protected-mode guest (vms/protected_mode.S) and its exits from entry 0 to its HLT as
# guest_probe shows them. Port 0x12: EAX after each IN (0x77 in its low 1, 2, 4 bytes of
# 0xaaaaaaaa), then how far ESI and EDI went with ECX (spent) above; 0x16 what INS stored; 0x15 the
# register after each MMIO read (the low bytes of 0x1122334455667799 in it); 0x17 the VMM's RDMSR
# answer and STAR as read back (no exit); 0x30 the vector its own IDT took (#UD, then #DE); 0x18
# 6 * 7 by the x87, PADDD, 6.0 squared by SSE, XMM0 again. Its entry PROTECTED_MODE_TRIPLE_FAULT
# makes a mark (0x32) in protected mode and triple-faults.
PROTECTED_MODE_GUEST=/microv/vms/protected_mode.bin
PROTECTED_MODE_TRIPLE_FAULT=0x100
PROTECTED_MODE_TRIPLE_FAULT_EXITS='exit io out port 0x10 size 1 data 0x32 reps 1
exit hlt vm_crash'
PROTECTED_MODE_EXITS='exit io out port 0x10 size 1 data 0x42 reps 1
exit io out port 0x10 size 2 data 0x1234 reps 1
exit io out port 0x10 size 4 data 0xdeadbeef reps 1
exit io in port 0x11 size 1
exit io out port 0x12 size 4 data 0xaaaaaa77 reps 1
exit io in port 0x11 size 2
exit io out port 0x12 size 4 data 0xaaaa0077 reps 1
exit io in port 0x11 size 4
exit io out port 0x12 size 4 data 0x77 reps 1
exit io out string rep port 0x14 size 1 reps 4 data "pm!\n"
exit io out string port 0x14 size 2 reps 1 data "ok"
exit io out string rep port 0x14 size 4 reps 2 data "32-bit!\n"
exit io out port 0x12 size 4 data 0xe reps 1
exit io in string rep port 0x11 size 1 reps 4
exit io in string port 0x11 size 2 reps 1
exit io out port 0x16 size 4 data 0x77777777 reps 1
exit io out port 0x16 size 4 data 0xffff0077 reps 1
exit io out port 0x12 size 4 data 0x6 reps 1
exit io out port 0x13 size 4 data 0x68747541 reps 1
exit mmio write gpa 0xa0010 size 1 data 0x5a
exit mmio write gpa 0xa0020 size 2 data 0xbeef
exit mmio write gpa 0xa0000 size 4 data 0xcafef00d
exit mmio write gpa 0xa0040 size 4 data 0x12345678
exit mmio write gpa 0xa0050 size 1 data 0xef
exit mmio read gpa 0xa0118 size 4
exit io out port 0x15 size 4 data 0x55667799 reps 1
exit mmio read gpa 0xa0000 size 2
exit io out port 0x15 size 4 data 0xcafe7799 reps 1
exit mmio read gpa 0xa0030 size 1
exit io out port 0x15 size 4 data 0xaaaa99aa reps 1
exit mmio read gpa 0xa0060 size 4
exit io out port 0x15 size 4 data 0x55667799 reps 1
exit msr read 0x1b
exit io out port 0x17 size 4 data 0x0 reps 1
exit msr write 0x830 data 0xa000000fe
exit io out port 0x17 size 4 data 0x12345678 reps 1
exit io out port 0x17 size 4 data 0x180008 reps 1
exit io out port 0x30 size 4 data 0x6 reps 1
exit io out port 0x30 size 4 data 0x0 reps 1
exit io out port 0x18 size 4 data 0x2a reps 1
exit io out port 0x18 size 4 data 0x33333333 reps 1
exit io out port 0x18 size 4 data 0x24 reps 1
exit io out port 0x18 size 4 data 0x33333333 reps 1
exit hlt shutdown'

# The long-mode guest (vms/long_mode.S) and its exits from entry 0 to its HLT, in two parts. First:
# port 0x10 EFER as MicroV shows it (LME, LMA); 0x12 EAX after each IN into a RAX of all ones, RAX's
# upper half after the 4-byte IN (zero-extended), then how far RSI and RDI went with RCX above; 0x16
# what INS stored; 0x15 the register after each MMIO read (both halves of the 8-byte one; the upper
# half after the 4-byte one); 0x17 the VMM's RDMSR answer, LSTAR read back and GS_BASE after
# KERNEL_GS_BASE and SWAPGS (no exits); 0x30-0x32 its own IDT's #UD, #DE and #PF (error code 2, CR2);
# 0x18 PADDQ's halves; 0x13 CPUID.1:ECX's XSAVE, OSXSAVE and AVX bits before and after CR4.OSXSAVE.
# The test bed's CPU (EPYC under QEMU 7.2's TCG) has XSAVE and AVX; OSXSAVE mirrors the guest's
# CR4.OSXSAVE, as on a CPU (vmm/src/guest_cpuid.hpp, guest_cpuid_mirror).
LONG_MODE_GUEST=/microv/vms/long_mode.bin
LONG_MODE_TRIPLE_FAULT=0x100
LONG_MODE_TRIPLE_FAULT_EXITS='exit io out port 0x10 size 1 data 0x64 reps 1
exit hlt vm_crash'
LONG_MODE_EXITS_TO_XSETBV='exit io out port 0x10 size 4 data 0x500 reps 1
exit io out port 0x10 size 1 data 0x42 reps 1
exit io out port 0x10 size 2 data 0x1234 reps 1
exit io out port 0x10 size 4 data 0xdeadbeef reps 1
exit io in port 0x11 size 1
exit io out port 0x12 size 4 data 0xffffff77 reps 1
exit io in port 0x11 size 2
exit io out port 0x12 size 4 data 0xffff0077 reps 1
exit io in port 0x11 size 4
exit io out port 0x12 size 4 data 0x77 reps 1
exit io out port 0x12 size 4 data 0x0 reps 1
exit io out string rep port 0x14 size 1 reps 4 data "lm!\n"
exit io out string port 0x14 size 2 reps 1 data "ok"
exit io out string rep port 0x14 size 4 reps 2 data "64-bit!\n"
exit io out port 0x12 size 4 data 0xe reps 1
exit io in string rep port 0x11 size 1 reps 4
exit io in string port 0x11 size 2 reps 1
exit io out port 0x16 size 4 data 0x77777777 reps 1
exit io out port 0x16 size 4 data 0xffff0077 reps 1
exit io out port 0x12 size 4 data 0x6 reps 1
exit mmio write gpa 0xa0000 size 8 data 0x123456789abcdef
exit mmio write gpa 0xa0008 size 8 data 0xfffffffffffffffe
exit mmio write gpa 0xa0010 size 1 data 0x5a
exit mmio write gpa 0xa0024 size 2 data 0xbeef
exit mmio write gpa 0xa0030 size 4 data 0xcafef00d
exit mmio write gpa 0xa0070 size 8 data 0x123456789abcdef
exit mmio read gpa 0xa0110 size 8
exit io out port 0x15 size 4 data 0x55667799 reps 1
exit io out port 0x15 size 4 data 0x11223344 reps 1
exit mmio read gpa 0xa0080 size 4
exit io out port 0x15 size 4 data 0x55667799 reps 1
exit io out port 0x15 size 4 data 0x0 reps 1
exit mmio read gpa 0xa0040 size 1
exit io out port 0x15 size 4 data 0xffffff99 reps 1
exit mmio read gpa 0xa0050 size 2
exit io out port 0x15 size 4 data 0xffff7799 reps 1
exit mmio read gpa 0xa0060 size 1
exit io out port 0x15 size 4 data 0x99 reps 1
exit msr read 0x802
exit io out port 0x17 size 4 data 0x0 reps 1
exit msr write 0x40000000 data 0x123456789
exit io out port 0x17 size 4 data 0x81000000 reps 1
exit io out port 0x17 size 4 data 0xffffffff reps 1
exit io out port 0x17 size 4 data 0x3456789a reps 1
exit io out port 0x17 size 4 data 0x12 reps 1
exit io out port 0x30 size 4 data 0x6 reps 1
exit io out port 0x30 size 4 data 0x0 reps 1
exit io out port 0x30 size 4 data 0xe reps 1
exit io out port 0x31 size 4 data 0x2 reps 1
exit io out port 0x32 size 4 data 0x40000000 reps 1
exit io out port 0x18 size 4 data 0x44444444 reps 1
exit io out port 0x18 size 4 data 0x22222222 reps 1
exit io out port 0x13 size 4 data 0x14000000 reps 1
exit io out port 0x13 size 4 data 0x1c000000 reps 1'
# Then, run with guest_probe --xcr0 7: XCR0 after an exit (x87|SSE|AVX) and AVX's 3 from YMM1's
# lower and (after that exit) upper half on port 0x18.
LONG_MODE_EXITS="$LONG_MODE_EXITS_TO_XSETBV
exit io out port 0x18 size 4 data 0x7 reps 1
exit io out port 0x18 size 4 data 0x3 reps 1
exit io out port 0x18 size 4 data 0x3 reps 1
exit hlt shutdown"
# Or, run without it, what the test bed does with the guest's own XSETBV: QEMU 7.2's SVM does not
# intercept XSETBV (QEMU 8.2 does), so it sets the CPU's XCR0 without MicroV, which puts the VS's
# XCR0 (1, as after RESET) back at the next entry: after the exit XCR0 is 1, and the guest leaves
# AVX alone (0xffffffff). On a CPU, or an emulator that intercepts XSETBV, this is LONG_MODE_EXITS.
LONG_MODE_EXITS_XSETBV_UNSEEN="$LONG_MODE_EXITS_TO_XSETBV
exit io out port 0x18 size 4 data 0x1 reps 1
exit io out port 0x18 size 4 data 0xffffffff reps 1
exit hlt shutdown"

# vs_state SCENARIO NAME...: vs_state_probe SCENARIO (a guest's VS state hypercalls, see
# tests/integration/bin/vs_state_probe.c) on cpu 0 and on the last CPU; it must pass all its
# checks there, and each NAME must be one of them.
vs_state() {
  _scenario=$1; shift
  for _pp in $(printf '0\n%s\n' "$(last_cpu)" | uniq); do
    out=$(vs_state_probe --cpu "$_pp" "$_scenario" 2>&1); _rc=$?
    echo "vs_state_probe --cpu $_pp $_scenario"
    printf '%s\n' "$out" | sed 's/^/  | /'
    [ "$_rc" -eq 0 ] || fail "vs_state_probe $_scenario on cpu $_pp exited $_rc"
    for _name in "$@"; do expect_line "$out" "^check $_name: ok\$"; done
  done
}
