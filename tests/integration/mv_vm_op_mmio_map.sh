# mv_vm_op_mmio_map: from the root VM's kernel, the root VM's pages into a guest VM by an MDL in the
# shared page. Refused, leaving nothing mapped: bytes 0 or not a multiple of 4096, a dst or src not
# page aligned, num_entries 0 or 126, the root VM as dst, a VM that is not there, a src VM other than
# the root VM, a src that is not RAM (the local APIC's page), and an MDL whose second entry is bad
# (its first does not stay: the map of all 64 pages after these succeeds). A GPA already mapped is
# refused. The guest so mapped (the real-mode guest) runs from its RAM to its HLT, on cpu 0 and on
# the last CPU.
# timeout: 180
. /microv/tests/testlib.sh
with_objects
last=$(all_cpus | tail -n 1)
for pp in $(printf '0\n%s\n' "$last" | uniq); do
  guest_run "the refusals, then a guest on cpu $pp" --cpu "$pp" --map-test --guest "$REAL_MODE_GUEST" \
    --stop-after-interrupts 3 --max-exits 500
  for what in "bytes 0" "bytes not a multiple of 4096" "dst not page aligned" "src not page aligned" \
    "num_entries 0" "num_entries 126" "dst vmid 0" "dst vmid not a VM" "src vmid not the root VM" \
    "src not RAM" "second entry bad"; do
    expect_line "$out" "^map-test $what: status 0x[0-9a-f]+ refused$"
  done
  expect_line "$out" '^map guest ram: status 0x0$'
  expect_line "$out" '^map-test a mapped gpa again: status 0x[0-9a-f]+ refused$'
  expect_no_line "$out" 'ACCEPTED'
  expect_exits "$REAL_MODE_EXITS"
done
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
expect_clean_kernel_log
finish
