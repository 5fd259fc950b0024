# mv_pp_op_ppid: the PP the caller runs on, on every PP; a bad handle is refused.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open" --open
handle=$reg0
for pp in $(seq 0 $(($(grep -c ^processor /proc/cpuinfo) - 1))); do
  hypercall 0x0 "ppid on cpu $pp" 0x764d000000030000 "$handle" --cpu "$pp"
  expect_line "$reg0" "^$(printf '0x%x' "$pp")\$"
done
hypercall 0xdead000000040001 "a bad handle" 0x764d000000030000 0x1
finish
