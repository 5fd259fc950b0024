# microv_root_debug_ring: the debug ring is root-VM memory (so that vmmctl dump can read it), and
# the root VM's kernel can write it; that must not stall MicroV, steer its writes, or make the ring
# a page the root VM can hand back to MicroV (issue 9, findings 4 and 3). The root kernel
# (pool_probe) stores 1 in the word that was the writers' lock and a huge count in `written`;
# every PP still logs (mv_debug_op_out shows up in the dump, in order). The ring's pages are
# refused as a shared page on every PP, like the pool.
# timeout: 120
. /microv/tests/testlib.sh
probe=/microv/test-modules/pool_probe.ko
with_microv
with_kprobe
ring=$(vmmctl status | sed -n 's/^debug ring at: //p')
[ -n "$ring" ] && ok "the debug ring is at $ring" || fail "no debug ring address in vmmctl status"

insmod $probe phys=$((ring + 8)) write=1 value=1; expect_status 0 $? "the root kernel stores 1 in the old lock word"
rmmod pool_probe
insmod $probe phys=$((ring)) write=1 value=0x7ffffffffffffff0; expect_status 0 $? "and a huge count in written"
rmmod pool_probe
for cpu in $(all_cpus); do
  hypercall $ST_OK "debug out on cpu $cpu" 0x764d000000020000 0x5ca1ab1e "$cpu" --cpu "$cpu"
done
dump=$(vmmctl dump)
for cpu in $(all_cpus); do
  expect_line "$dump" "^mv_debug_op_out: 0x000000005ca1ab1e $(printf '0x%016x' "$cpu")\$"
done

set=0x764d000000030003
cpuid=0x764d000000030004
for cpu in $(all_cpus); do
  for bad in "$ring" "$(printf '0x%x' $((ring + 0xf000)))"; do
    kcall $ST_UNKNOWN "the ring's page $bad refused as the shared page on cpu $cpu" --cpu "$cpu" --no-page \
      call $set page call $set "$bad" call $cpuid
    expect_statuses 0x0 $ST_BAD_REG1 $ST_UNKNOWN
  done
done
expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
expect_clean_kernel_log
finish
