# microv_ext_drops_intercepts: ring 0 keeps its invariants in every VMCB whatever the extension
# writes (issue 10: bf_vs_op_write reached every field, so a faulty or subverted extension could
# give the root VM all of MicroV's memory). The extension's test build, on a private hypercall,
# ANDs a mask into a range of its PP's root VS's registers (bf_reg_t numbers, which are the
# vendor's: this test names SVM's, the extension names none). Here the VMCB's control area from
# intercept_cr_read (15) to vmcb_clean_bits (42) with the mask (1 << 18) | (1 << 1): of the
# intercepts only CPUID (misc1 bit 18), NMI (misc1 bit 1) and VMMCALL (misc2 bit 1) are left, so
# that the root OS still reaches MicroV; the MSR and I/O maps, the ASID, nested paging and nCR3
# lose their values. Ring 0 puts back what it needs before the VS runs again. Then, on every CPU, the root OS's kernel still cannot read the pool (pool_probe: a
# fault), STGI still gets #UD (svm_probe), and an MSR MicroV keeps (VM_HSAVE_PA) still reads 0.
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
vmmctl start --pool 8 --kernel $lib/microv_kernel_faulty.bin --ext $lib/microv_vmm_faulty.elf
expect_status 0 $? "start with the faulty test builds"
_microv_started=1
pool=$(vmmctl status | sed -n 's/^pool at: //p')
for cpu in $(all_cpus); do
  expect_line "$(hypercall_probe 0x764d0000fff90000 f 2a 40002 --cpu "$cpu")" '^status 0x0 '
  taskset -c "$cpu" insmod /microv/test-modules/pool_probe.ko phys="$pool" 2>/dev/null; rc=$?
  if [ $rc -ne 0 ]; then ok "cpu $cpu: the pool is still out of reach"; else fail "cpu $cpu: the root OS read the pool"; rmmod pool_probe; fi
  taskset -c "$cpu" insmod /microv/test-modules/svm_probe.ko insn=stgi 2>/dev/null; rc=$?
  if [ $rc -ne 0 ]; then ok "cpu $cpu: STGI still faults"; else fail "cpu $cpu: STGI ran"; rmmod svm_probe; fi
  expect_line "$(msr_probe rdmsr "$cpu" 0xc0010117)" '^0x0000000000000000$'
  expect_line "$(cpuid_probe "$cpu")" '^signature MicroVMicroV$'
done
vmmctl stop; expect_status 0 $? "vmmctl stop"
_microv_started=0
# pool_probe's read under #GP makes the kernel warn about a fault in a user access (as in
# microv_root_npt); anything worse fails the test.
expect_no_line "$(kernel_log_since_start)" 'BUG:|Oops'
finish
