# Every way a start can fail on a CPU after others were demoted already gives every CPU back as it
# was: the microkernel's test build fails the start on purpose on the last CPU (vmmctl start
# --test-fault): a ring-0 fault before the root VM runs, a ring-3 fault in the extension's
# bootstrap, a VMRUN the CPU refuses, a pool that runs out. Each says why, names the CPU, and leaves
# no CPU with MicroV's signature, no memory held, and EFER, VM_CR and VM_HSAVE_PA as they were.
# The real microkernel refuses to fail on purpose.
# timeout: 200
. /microv/tests/testlib.sh
lib=/microv/lib/microv
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
found=$(cpu_msrs)
echo "$found"

# fault NAME PATTERN: the test build's start with --test-fault NAME fails saying PATTERN on the
# last CPU, and the machine is as it was; once asked from CPU 0 and once from the failing CPU
# itself (where no IPI's IRET puts the OS's segment registers back: the microkernel must).
fault() {
  for from in 0 "$last"; do
    dump_mark
    taskset -c "$from" vmmctl start --pool 8 --kernel $lib/microv_kernel_faulty.bin --test-fault "$1" >/tmp/out 2>&1
    rc=$?
    cat /tmp/out
    expect_status 1 "$rc" "start with --test-fault $1 from cpu $from"
    expect_line "$(cat /tmp/out)" "$2.* \\(cpu $last, $last cpu\\(s\\) entered\\)\$"
    expect_machine_as_found "$found"
    dump_since_mark | tail -6
  done
}
fault mk-before-root 'the microkernel faulted before the root VM ran'
expect_line "$(dump_since_mark)" '^microv: EXCEPTION vector 0x000000000000000e error 0x0000000000000002 ring 0x0000000000000000$'
fault ext-before-root 'the extension failed before the root VM ran'
expect_line "$(dump_since_mark)" "the extension failed on pp $(printf '0x%04x' "$last"): exception in ring 3"
fault vmrun-refused 'the first VMRUN of the root VM failed'
expect_line "$(dump_since_mark)" "VMRUN of the root VM failed on pp $(printf '0x%04x' "$last")"
fault no-memory 'the pool ran out while the microkernel prepared a CPU'

# The real microkernel does not fail on purpose.
vmmctl start --pool 8 --test-fault no-memory >/tmp/out 2>&1; rc=$?
cat /tmp/out
expect_status 1 "$rc" "the real microkernel with --test-fault"
expect_line "$(cat /tmp/out)" 'the microkernel refused its boot arguments'
expect_machine_as_found "$found"

# After all of them the machine still runs MicroV and gives it back.
. /microv/tests/workload.sh
vmmctl start --pool 8; expect_status 0 $? "a good start after the faults"
workload_run 3; expect_status 0 $? "the root OS runs a workload on every CPU"
vmmctl stop; expect_status 0 $? "stop"
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
