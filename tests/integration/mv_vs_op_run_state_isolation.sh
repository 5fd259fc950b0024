# mv_vs_op_run, state isolation: a guest's x87/SSE/AVX registers and DR0-DR3 are its own. The real-mode guest's
# third entry reads XMM0 (0: its own state after RESET, not the pattern the root VM's process holds
# in its XMM0 during every run), sets XMM1 and reads it back across two exits, while guest_probe
# loads its own pattern into XMM1 before each run and checks it is still there after each
# (MicroV switches the state lazily, saving the root VM's when the guest takes the CPU). The guest
# then sets DR0, which the VMM reads back (saved from the CPU when the root VS took it again). On
# cpu 0 and on the last CPU.
# timeout: 120
. /microv/tests/testlib.sh
with_objects
last=$(all_cpus | tail -n 1)
for pp in $(printf '0\n%s\n' "$last" | uniq); do
  guest_run "the guest's SSE registers on cpu $pp" --cpu "$pp" --guest "$REAL_MODE_GUEST" --entry 0x180 \
    --fpu-test --stop-after-interrupts 2 --max-exits 100
  expect_exits 'exit io out port 0x16 size 4 data 0x0 reps 1
exit io out port 0x17 size 4 data 0x5a5a5a5a reps 1
exit io out port 0x18 size 4 data 0x5a5a5a5a reps 1
exit hlt shutdown'
  expect_no_line "$out" '^root xmm1 changed'
  expect_line "$out" '^guest dr0 0x1234$'
done
expect_clean_kernel_log
finish
