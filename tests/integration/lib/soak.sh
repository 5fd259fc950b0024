# Start/stop cycles with a root-OS workload, the fault-injection builds mixed in; sourced by the
# integration test microv_soak (short) and by scripts/soak.sh (long). Needs testlib.sh and
# workload.sh sourced first.

# soak_cycles N SECONDS: N cycles of start, SECONDS of workload on every CPU, stop. Of every three
# cycles one uses the extension's fault build (a fault in ring 3 during a hypercall on one CPU)
# and one the microkernel's (a fault in ring 0 that gives one CPU back to the OS); the CPU that
# faults moves round the CPUs. Every fifth cycle instead starts with a test fault on the last
# CPU (vmmctl start --test-fault, in turn each kind), which must fail. After each cycle MicroV
# must have left the machine as it found it (expect_machine_as_found). Prints one line per
# cycle and a summary.
# _soak_end LABEL: checks that the machine is as found, prints the cycle's line, next cycle.
_soak_end() {
  expect_machine_as_found "$_found" >/tmp/soak.check
  grep '^FAIL' /tmp/soak.check
  echo "cycle $_i/$_n $1: $([ "$failures" -eq "$_f" ] && echo ok || echo FAILED) ($(($(date +%s) - _t0))s)"
  _i=$((_i + 1))
}

soak_cycles() {
  _n=$1; _secs=$2
  _lib=/microv/lib/microv
  _cpus=$(grep -c ^processor /proc/cpuinfo)
  _found=$(cpu_msrs)
  _t0=$(date +%s)
  _i=1
  _failures_before=$failures
  while [ "$_i" -le "$_n" ]; do
    _f=$failures
    _cpu=$((_i % _cpus))
    case $((_i % 3)) in
      1) _kind=plain; _args="" ;;
      2) _kind=ext-fault; _args="--ext $_lib/microv_vmm_faulty.elf" ;;
      0) _kind=mk-fault; _args="--kernel $_lib/microv_kernel_faulty.bin --ext $_lib/microv_vmm_faulty.elf" ;;
    esac
    if [ $((_i % 5)) -eq 0 ]; then
      set -- mk-before-root ext-before-root vmrun-refused no-memory
      shift $(((_i / 5) % 4))
      _kind="start-fault $1"
      if vmmctl start --pool 8 --kernel "$_lib/microv_kernel_faulty.bin" --test-fault "$1" >/tmp/soak.out 2>&1; then
        fail "cycle $_i ($_kind): the start succeeded"
        vmmctl stop >/dev/null 2>&1
      fi
      _soak_end "$_kind"
      continue
    fi
    # shellcheck disable=SC2086
    vmmctl start --pool 8 $_args >/tmp/soak.out 2>&1 || { cat /tmp/soak.out; fail "cycle $_i ($_kind): start"; }
    case $_kind in
      ext-fault) _rax=$(vmmcall_probe 0x764d0000fffe0000 "$_cpu") ;;
      mk-fault) _rax=$(vmmcall_probe 0x764d0000fffd0000 "$_cpu") ;;
      *) _rax="rax none" ;;
    esac
    [ "$_kind" = plain ] || [ "$_rax" = "rax 0xdead000000010001" ] || fail "cycle $_i ($_kind): the faulting hypercall gave '$_rax'"
    workload_run "$_secs" >/tmp/soak.wl 2>&1 || { cat /tmp/soak.wl; fail "cycle $_i ($_kind): workload"; }
    vmmctl stop >/tmp/soak.out 2>&1 || { cat /tmp/soak.out; fail "cycle $_i ($_kind): stop"; }
    _soak_end "$_kind on cpu $_cpu"
  done
  echo "soak: $_n cycles in $(($(date +%s) - _t0))s, $((failures - _failures_before)) failure(s)"
}
