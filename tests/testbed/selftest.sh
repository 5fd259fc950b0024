#!/usr/bin/env bash
# Checks the test bed itself: a passing script with user files passes, a failing script's status
# comes back, a crashed guest and a hung guest are both reported as failures. Runs on the host:
#   tests/testbed/selftest.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$build/testbed-selftest"
failures=0

check() { # check WHAT WANT_RC GOT_RC LOG PATTERN
  if [ "$3" -ne "$2" ]; then
    echo "selftest: FAIL: $1: exit $3, expected $2"; failures=$((failures + 1)); return
  fi
  if ! grep -Eq -- "$5" "$4"; then
    echo "selftest: FAIL: $1: output lacks /$5/"; failures=$((failures + 1)); return
  fi
  echo "selftest: ok: $1 (exit $3)"
}

# A script that reads a file passed with --files, and prints something the host must see.
echo "payload-$$" >"$work/data.txt"
cat >"$work/pass.sh" <<'SCRIPT'
# timeout: 30
grep -q payload- data.txt && echo "read $(cat data.txt)"
SCRIPT
testbed/run.sh --build "$build" --out "$out" --stream --files "$work/data.txt" "$work/pass.sh" >"$work/log" 2>&1
check "passing script with a file" 0 $? "$work/log" "^read payload-$$\$"

cat >"$work/fail.sh" <<'SCRIPT'
# timeout: 30
echo "about to fail"
exit 3
SCRIPT
testbed/run.sh --build "$build" --out "$out" "$work/fail.sh" >"$work/log" 2>&1
check "failing script" 3 $? "$work/log" "fail +FAIL \(exit 3\)"

cat >"$work/crash.sh" <<'SCRIPT'
# timeout: 30
echo c >/proc/sysrq-trigger
SCRIPT
testbed/run.sh --build "$build" --out "$out" "$work/crash.sh" >"$work/log" 2>&1
check "guest kernel crash" 125 $? "$work/log" "CRASH: the machine stopped .* during crash"

cat >"$work/hang.sh" <<'SCRIPT'
# timeout: 600
sleep 600
SCRIPT
testbed/run.sh --build "$build" --out "$out" --boot-timeout 25 "$work/hang.sh" >"$work/log" 2>&1
check "hung guest" 124 $? "$work/log" "HANG: the machine made no end within 25s \(during hang\)"

[ "$failures" -eq 0 ]
