# The loader module creates /dev/microv (root only), removes it on unload, and loads again.
# timeout: 90
. /microv/tests/testlib.sh
ko=/microv/modules/microv_loader.ko

mode=$(ls -l /dev/microv 2>&1 | cut -c1-10)
if [ "$mode" = "crw-------" ]; then ok "/dev/microv is a root-only character device"; else fail "/dev/microv: '$mode'"; fi
expect_line "$(cat /proc/modules)" '^microv_loader '

rmmod microv_loader; expect_status 0 $? "rmmod"
if [ -e /dev/microv ]; then fail "/dev/microv is still there after rmmod"; else ok "/dev/microv gone"; fi

out=$(vmmctl info 2>&1); rc=$?
echo "$out"
expect_status 2 "$rc" "vmmctl info without the module"
expect_line "$out" 'cannot open /dev/microv: .*is the microv_loader module loaded\?'

# Load and unload a few times: nothing may be left behind (the kernel would refuse to re-create
# the misc device or oops under oops=panic).
i=0
while [ $i -lt 10 ]; do
  insmod "$ko" || fail "insmod #$i"
  vmmctl info >/dev/null || fail "vmmctl info after insmod #$i"
  rmmod microv_loader || fail "rmmod #$i"
  i=$((i + 1))
done
ok "10 load/unload cycles"

insmod "$ko"; expect_status 0 $? "insmod"
[ -c /dev/microv ] && ok "/dev/microv back" || fail "/dev/microv not back"
expect_clean_kernel_log
expect_no_line "$(kernel_log_since_start)" 'microv: cannot'
finish
