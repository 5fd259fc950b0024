# Helpers for integration tests; the test bed copies this file to /microv/tests/testlib.sh.
# A test is a busybox sh script; it passes when it exits 0. Start a test with:
#   . /microv/tests/testlib.sh

failures=0
# The kernel log as it was when the test began; later checks look only at what came after.
_dmesg_mark=$(dmesg | wc -l)

# fail MESSAGE: records a failure and says why.
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# ok MESSAGE: says what was checked.
ok() { echo "ok: $*"; }

# expect_status WANT GOT WHAT
expect_status() {
  if [ "$2" -eq "$1" ]; then ok "$3 exited $2"; else fail "$3 exited $2, expected $1"; fi
}

# expect_line TEXT PATTERN: TEXT has a line matching the extended regular expression PATTERN.
expect_line() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok "found /$2/"; else fail "no line matches /$2/"; fi
}

# expect_no_line TEXT PATTERN
expect_no_line() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then fail "unexpected line /$2/"; else ok "no /$2/"; fi
}

# kernel_log_since_start: the kernel's messages since this test began.
kernel_log_since_start() { dmesg | tail -n +$((_dmesg_mark + 1)); }

# expect_clean_kernel_log: no warning, bug or oops in the kernel log since this test began.
expect_clean_kernel_log() {
  expect_no_line "$(kernel_log_since_start)" 'WARNING:|BUG:|Oops|general protection|Call Trace'
}

# finish: ends the test, failing when any check failed.
finish() {
  if [ "${_microv_started:-0}" = 1 ]; then
    vmmctl stop >/dev/null || fail "vmmctl stop"
    _microv_started=0
  fi
  echo "$failures failure(s)"
  [ "$failures" -eq 0 ]
  exit $?
}

# with_microv: starts MicroV for the rest of the test (stopped again by finish).
with_microv() {
  vmmctl start --pool 8 >/dev/null || { fail "vmmctl start"; finish; }
  _microv_started=1
}

# hypercall WANT_STATUS WHAT ARGS...: one hypercall_probe; checks the status, leaves REG0 in $reg0.
hypercall() {
  want=$1; what=$2; shift 2
  out=$(hypercall_probe "$@")
  echo "$what: $out"
  reg0=$(echo "$out" | sed -n 's/.* reg0 //p')
  expect_line "$out" "^status $want "
}
