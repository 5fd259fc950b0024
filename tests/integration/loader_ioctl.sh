# The loader driver's MV_LOADER_CPU_INFO: good requests succeed; hostile ones (bad version,
# capacity, reserved bits, pointers to kernel or read-only memory, unknown ioctls) get clean errors.
# timeout: 60
. /microv/tests/testlib.sh

loader_ioctl_probe; rc=$?
expect_status 0 "$rc" "loader_ioctl_probe"
expect_clean_kernel_log
finish
