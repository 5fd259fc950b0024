# vmmctl's command line: help, and clear errors with exit status 2 for bad use.
# timeout: 30
. /microv/tests/testlib.sh

vmmctl help >/tmp/out 2>&1; expect_status 0 $? "vmmctl help"
expect_line "$(cat /tmp/out)" '^usage: vmmctl'
vmmctl >/tmp/out 2>&1; expect_status 2 $? "vmmctl with no command"
expect_line "$(cat /tmp/out)" 'error: no command given'
vmmctl frobnicate >/tmp/out 2>&1; expect_status 2 $? "vmmctl frobnicate"
expect_line "$(cat /tmp/out)" "error: unknown command 'frobnicate'"
vmmctl --bogus info >/tmp/out 2>&1; expect_status 2 $? "vmmctl --bogus info"
expect_line "$(cat /tmp/out)" "error: unknown option '--bogus'"
vmmctl info extra >/tmp/out 2>&1; expect_status 2 $? "vmmctl info extra"
expect_line "$(cat /tmp/out)" 'error: too many arguments'
vmmctl --device /dev/null info >/tmp/out 2>&1; expect_status 2 $? "vmmctl --device /dev/null info"
expect_line "$(cat /tmp/out)" 'MV_LOADER_CPU_INFO failed: '
finish
