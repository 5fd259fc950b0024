# microv_root_uart: the root VM cannot reach MicroV's own serial port (issue 9, finding 10: it
# could reprogram or silence it). With MicroV on COM1 (0x3f8), the root reads all ones from its
# eight ports and its writes go nowhere: the line control register it sets to 0x80 (DLAB) is 0x03,
# as MicroV programmed it, once MicroV has stopped. COM2 (the root's console) stays the root's.
# Without a serial port (--serial 0) COM1 is the root's again.
# timeout: 90
. /microv/tests/testlib.sh
com2_lcr=$(port_probe in 0x2fb)
vmmctl start --pool 8 >/dev/null; expect_status 0 $? "vmmctl start (serial 0x3f8)"
_microv_started=1
expect_line "$(port_probe out 0x3fb 0x80)" '^out ok$'
for reg in 0x3f8 0x3fb 0x3fd 0x3ff; do
  expect_line "$(port_probe in $reg)" '^0xff$'
done
expect_line "$(port_probe in 0x2fb)" "^$com2_lcr\$"
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
_microv_started=0
expect_line "$(port_probe in 0x3fb)" '^0x03$'

vmmctl start --pool 8 --serial 0 >/dev/null; expect_status 0 $? "vmmctl start --serial 0"
_microv_started=1
expect_line "$(port_probe out 0x3fb 0x80)" '^out ok$'
expect_line "$(port_probe in 0x3fb)" '^0x80$'
port_probe out 0x3fb 0x03 >/dev/null
expect_line "$(port_probe in 0x3fb)" '^0x03$'
expect_clean_kernel_log
finish
