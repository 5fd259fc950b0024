# mv_pp_op_cpuid_get_permissable_list: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED
# from user space and from the root VM's kernel (the test module hypercall_kprobe), on every PP,
# with a shared page or none, for an mv_cdl_t of two leaves in the shared page, and leaves the page
# as it was; the handle is checked first: a bad one is refused, from user space and from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
expect_reserved_pp_call 0x764d000000030007 0x0 cdl 0x7 1 0x80000001
expect_clean_dump
expect_clean_kernel_log
finish
