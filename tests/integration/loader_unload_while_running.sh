# loader_unload_while_running: while MicroV runs, the loader module cannot be removed (issue 9,
# finding 8: unloading freed the debug ring and the module text holding mv_promote while MicroV
# still used them, also after a stop that failed). rmmod is refused as "in use", MicroV runs on;
# after vmmctl stop, rmmod works, and the module loads again.
# timeout: 90
. /microv/tests/testlib.sh
ko=/microv/modules/microv_loader.ko
with_microv
out=$(rmmod microv_loader 2>&1); rc=$?
echo "rmmod while running: $out"
[ $rc -ne 0 ] && ok "rmmod refused while MicroV runs" || fail "rmmod removed the loader while MicroV runs"
expect_line "$out" 'in use|Resource temporarily unavailable'  # busybox rmmod: EAGAIN (O_NONBLOCK)
[ -c /dev/microv ] && ok "/dev/microv still there" || fail "/dev/microv gone"
expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
expect_line "$(vmmctl status)" '^microv: running$'
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
_microv_started=0
rmmod microv_loader; expect_status 0 $? "rmmod after stop"
insmod "$ko"; expect_status 0 $? "insmod again"
expect_line "$(vmmctl status)" '^microv: not running$'
expect_clean_kernel_log
finish
