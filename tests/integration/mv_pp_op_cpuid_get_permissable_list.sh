# mv_pp_op_cpuid_get_permissable_list: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED
# from user space and from the root VM's kernel (the test module hypercall_kprobe), on every PP,
# with a shared page or none, for an mv_cdl_t of two leaves in the shared page, and leaves the page
# as it was; the handle is checked first: a bad one is refused, from user space and from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030007

hypercall $ST_UNSUPPORTED "from user space" $rax "$handle" 0x0
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1 0x0
for pp in $(all_cpus); do
  kcall $ST_UNSUPPORTED "from the kernel on cpu $pp" --cpu "$pp" cdl 0x7 1 0x80000001
  expect_page_unchanged
  kcall $ST_UNSUPPORTED "from the kernel, no shared page on cpu $pp" --cpu "$pp" --no-page call $rax 0x0
done
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 cdl 0x7 1 0x80000001
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
