# mv_id_op_version: MicroV supports version 1 of the hypercall spec (MV_ALL_SPECS_SUPPORTED_VAL
# 0x2); no handle needed. Without the signature, or with flags set, it is unsupported.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "version" 0x764d000000000000
expect_line "$reg0" '^0x2$'
hypercall 0xdead000000020001 "without the signature" 0x0000000000000000
hypercall 0xdead000000020001 "with a flag set" 0x764d000100000000
hypercall 0xdead000000020001 "get_capability (TBD in the spec)" 0x764d000000000001 0x1
hypercall 0xdead000000020001 "has_capability: no capability is defined" 0x764d000000000004 0x1
finish
