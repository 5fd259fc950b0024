# mv_pp_op_reg_get_supported: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED from user
# space and from the root VM's kernel (the test module hypercall_kprobe), on every PP, with a shared
# page or none, for a register in REG1; the handle is checked first: a bad one is refused, from user
# space and from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
expect_reserved_pp_call 0x764d00000003000a 0x1 call 0x764d00000003000a 0x1
expect_clean_dump
expect_clean_kernel_log
finish
