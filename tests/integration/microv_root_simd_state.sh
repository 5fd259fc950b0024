# microv_root_simd_state: an exit to MicroV leaves the root VM's SSE registers and MXCSR as they
# were (issue 9, finding 7: the extension was built with SSE and zeroed the caller's XMM0 in the
# hypercall path, and nothing saves FPU state across an exit). The probe holds a pattern in
# XMM0-15 across 1,000 CPUIDs and 1,000 hypercalls on every CPU.
# timeout: 90
. /microv/tests/testlib.sh
out=$(simd_probe cpuid)
expect_line "$out" '^simd ok$'
with_microv
for cpu in $(all_cpus); do
  for kind in cpuid hypercall; do
    out=$(simd_probe "$kind" --cpu "$cpu")
    echo "cpu $cpu, $kind: $out"
    expect_line "$out" '^simd ok$'
  done
done
expect_clean_kernel_log
finish
