# mv_pp_op_clr_shared_page_gpa: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, forgets this PP's shared page (and succeeds when there is none): the shared-page
# hypercalls then fail (FAILURE_UNKNOWN) until a page is set again. Refused: from user space
# (PERM_DENIED); a bad handle (checked first, from user space too), which leaves the page set;
# another signature or a flag in RAX (UNSUPPORTED).
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
clr=0x764d000000030002
set=0x764d000000030003
cpuid=0x764d000000030004

hypercall $ST_PERM_DENIED "from user space" $clr "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $clr 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "clear with none set, set, clear, clear again, set again on cpu $pp" --cpu "$pp" --no-page \
    call $clr call $set page call $cpuid call $clr call $cpuid call $clr call $set page call $cpuid
  expect_statuses 0x0 0x0 0x0 0x0 $ST_UNKNOWN 0x0 0x0 0x0
  kcall $ST_OK "refused clears leave the page on cpu $pp" --cpu "$pp" --no-page call $set page \
    handle 0x1 call $clr handle "$handle" call 0x764e000000030002 call 0x764d000100030002 call $cpuid
  expect_statuses 0x0 $ST_BAD_HANDLE $ST_UNSUPPORTED $ST_UNSUPPORTED 0x0
done

expect_clean_dump
expect_clean_kernel_log
finish
