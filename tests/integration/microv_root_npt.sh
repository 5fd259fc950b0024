# The root VM cannot reach MicroV's memory: its nested page tables leave the pool out. Root-OS
# kernel code that reads the pool gets #GP (and here, through the kernel's fault fixup, EFAULT);
# the attempt is reported in the dump; the rest of memory reads fine, and MicroV runs on.
# timeout: 120
. /microv/tests/testlib.sh
probe=/microv/test-modules/pool_probe.ko

vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
pool=$(vmmctl status | sed -n 's/^pool at: //p')
echo "pool at $pool"
[ -n "$pool" ] && ok "the pool's address is shown" || fail "no pool address in vmmctl status"

insmod $probe phys=$pool 2>/tmp/err; rc=$?
cat /tmp/err
[ $rc -ne 0 ] && ok "reading the pool from the root OS failed" || { fail "the root OS read MicroV's memory"; rmmod pool_probe; }
expect_line "$(kernel_log_since_start)" "pool_probe: read at $pool: fault"
expect_line "$(vmmctl dump)" "the root VM reached MicroV's memory at 0x0*${pool#0x}; it gets #GP"

insmod $probe phys=0x100000; expect_status 0 $? "reading ordinary memory at 1 MiB"
rmmod pool_probe

expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
vmmctl stop; expect_status 0 $? "vmmctl stop"
insmod $probe phys=$pool; expect_status 0 $? "after stop, the memory is the OS's again"
rmmod pool_probe
finish
