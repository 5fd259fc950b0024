# Regression test for the 4-CPU failure in which PP 0's root VM ran with the hypervisor's own
# state: QEMU 7.2's TCG changes CPU 0's internal flags without a lock whenever any vCPU restores
# x87 state (FXRSTOR/XRSTOR), which under multi-threaded TCG can undo CPU 0's leaving of guest
# mode; the test bed therefore runs multi-CPU machines single-threaded (testbed/run.sh, see
# docs/architecture.md). Here CPU 0 takes CPUID exits while every other CPU restores FPU state;
# afterwards every CPU must still run the root VM and MicroV must have reported nothing.
# timeout: 150
. /microv/tests/testlib.sh
cpus=$(grep -c ^processor /proc/cpuinfo)
if [ "$cpus" -lt 2 ]; then
  ok "one CPU: no other CPU to race with"
  finish
fi
dump_mark
vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
fpu_storm exits 20 0 >/tmp/storm.0 &
c=1
while [ $c -lt "$cpus" ]; do
  fpu_storm restore 20 $c >/tmp/storm.$c &
  c=$((c + 1))
done
bad=0
for job in $(jobs -p); do wait "$job" || bad=1; done
cat /tmp/storm.*
expect_status 0 $bad "the exit and restore loops"
for c in $(all_cpus); do
  expect_line "$(cpuid_probe "$c")" '^signature MicroVMicroV$'
done
expect_no_line "$(dump_since_mark)" 'reached MicroV|cannot deliver|EXCEPTION|halted|stops on this PP'
vmmctl stop; expect_status 0 $? "vmmctl stop"
expect_clean_kernel_log
finish
