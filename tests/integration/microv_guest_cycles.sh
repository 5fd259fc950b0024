# microv_guest_cycles: guests leave nothing behind. 1,000 cycles of a handle opened, a guest VM, VP
# and VS made, 64 pages mapped, the guest run to its HLT, and all of it destroyed (every other time
# by closing the handle alone), on the last CPU; then the pool pages MicroV holds when it leaves
# (its debug ring's "pool pages in use at the leave") must be exactly what they are after 10
# such cycles in another run, since the first cycle's one-time allocations (the extension's direct
# map of the module's pages, its scratch page) are in both. A leak of one page a cycle shows as 990.
# timeout: 900
. /microv/tests/testlib.sh
last=$(last_cpu)
run_cycles() {
  vmmctl start --pool 8 >/dev/null || { fail "vmmctl start"; finish; }
  insmod /microv/test-modules/hypercall_kprobe.ko || { fail "insmod"; vmmctl stop; finish; }
  dump_mark
  out=$(vs_state_probe --cpu "$last" cycles "$1" 2>&1); _rc=$?
  printf '%s\n' "$out" | tail -n 3 | sed 's/^/  | /'
  [ "$_rc" -eq 0 ] || fail "vs_state_probe cycles $1 exited $_rc"
  expect_line "$out" "^cycles $1 of $1: ok\$"
  rmmod hypercall_kprobe || fail "rmmod hypercall_kprobe"
  vmmctl stop >/dev/null || fail "vmmctl stop"
  used=$(dump_since_mark | sed -n 's/^microv: pool pages in use at the leave: //p' | tail -n 1)
  echo "after $1 cycles: pool pages in use at the leave: $used"
  [ -n "$used" ] || fail "no pool line in the debug ring"
}
run_cycles 10
ten=$used
run_cycles 1000
thousand=$used
[ -n "$ten" ] && [ "$ten" = "$thousand" ] && ok "the same pool pages in use after 10 and 1000 cycles: $ten" ||
  fail "pool pages in use: $ten after 10 cycles, $thousand after 1000"
expect_clean_kernel_log
finish
