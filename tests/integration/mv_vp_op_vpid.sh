# mv_vp_op_vpid: the caller's VP, each PP's root VP, from user space and from the kernel alike: one
# per PP, no two the same, each in the root VM (mv_vp_op_vmid); a bad handle is refused.
# timeout: 60
. /microv/tests/testlib.sh
with_objects
seen=""
for pp in $(all_cpus); do
  hypercall $ST_OK "from user space on cpu $pp" $MV_VP_VPID "$handle" --cpu "$pp"
  user=$reg0
  kobj $ST_OK "from the kernel on cpu $pp" $MV_VP_VPID 0 "$pp"
  expect_line "$reg0" "^$user\$"
  kobj $ST_OK "its VM" $MV_VP_VMID "$user" "$pp"
  expect_line "$reg0" '^0x0$'
  seen="$seen $user"
done
expect_line "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" "^$(all_cpus | wc -l)\$"
hypercall $ST_BAD_HANDLE "a bad handle" $MV_VP_VPID 0x1
expect_clean_kernel_log
finish
