# mv_pp_op_set_shared_page_gpa: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, a page of the root VM's RAM becomes this PP's shared page: the module's page, a page of
# a user process, and again the module's (each replacing the last); the shared-page hypercalls then
# work on that PP and on no other. Several PPs may share one page: clearing it on one leaves it to
# the others. Refused (INVALID_INPUT_REG1): REVZ bits set, changing nothing (the old page stays); a
# GPA outside RAM (the local APIC, far beyond the end of memory) and MicroV's own memory (the pool),
# each leaving the PP with no shared page (docs/hypercalls.md). Refused too: from user space
# (PERM_DENIED); a bad handle (checked first, from user space too); another signature or a flag in
# RAX (UNSUPPORTED).
# timeout: 150
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
pool=$(vmmctl status | sed -n 's/^pool at: //p')
[ -n "$pool" ] && ok "the pool is at $pool" || fail "no pool address in vmmctl status"
set=0x764d000000030003
cpuid=0x764d000000030004

hypercall $ST_PERM_DENIED "from user space" $set "$handle" self
hypercall $ST_BAD_HANDLE "a bad handle from user space" $set 0x1 self

for pp in $(all_cpus); do
  kcall $ST_OK "the module's page, then a page of mine, then the module's again on cpu $pp" --cpu "$pp" --no-page \
    call $set page call $cpuid call $set self call $cpuid call $set page call $cpuid
  expect_statuses 0x0 0x0 0x0 0x0 0x0 0x0
  for bad in 0x100008 0x100800 0x1001; do
    kcall $ST_OK "REVZ bits set: $bad refused on cpu $pp, the old page stays" --cpu "$pp" --no-page \
      call $set page call $set "$bad" call $cpuid
    expect_statuses 0x0 $ST_BAD_REG1 0x0
  done
  for bad in 0xfee00000 0x100000000000 "$pool"; do
    kcall $ST_UNKNOWN "$bad refused on cpu $pp, leaving no shared page" --cpu "$pp" --no-page \
      call $set page call $set "$bad" call $cpuid
    expect_statuses 0x0 $ST_BAD_REG1 $ST_UNKNOWN
  done
done

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call $set page
kcall $ST_UNSUPPORTED "another signature" --no-page call 0x764e000000030003 page
kcall $ST_UNSUPPORTED "a flag in RAX" --no-page call 0x764d000100030003 page
kcall $ST_UNKNOWN "so no page was set" --no-page call $cpuid

# Per PP; and one page on two PPs stays while either has it.
if [ "$(all_cpus | wc -l)" -ge 2 ]; then
  kcall $ST_OK "set on cpu 0 serves cpu 0 only" --no-page cpu 0 call $set page cpu 1 call $cpuid cpu 0 call $cpuid
  expect_statuses 0x0 $ST_UNKNOWN 0x0
  kcall $ST_OK "one page on cpu 0 and cpu 1, cleared on cpu 0" --no-page cpu 0 call $set page cpu 1 call $set page \
    cpu 0 call 0x764d000000030002 call $cpuid cpu 1 call $cpuid
  expect_statuses 0x0 0x0 0x0 $ST_UNKNOWN 0x0
  # The module clears the page where it set one when the device is closed (the probe itself
  # clears only the CPU it ends on).
  kcall $ST_OK "set on cpu 1, end on cpu 0" --no-page cpu 1 call $set page cpu 0 call $cpuid call $set page
  expect_statuses 0x0 $ST_UNKNOWN 0x0
  kcall $ST_UNKNOWN "so no page is left on cpu 1" --no-page --cpu 1 call $cpuid
fi
expect_no_line "$(kernel_log_since_start)" 'hypercall_kprobe: clr_shared_page_gpa failed'

expect_clean_dump
expect_clean_kernel_log
finish
