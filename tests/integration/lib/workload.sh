# A mixed root-OS workload: processes, file I/O on tmpfs, timers and signals. One round gives the
# same text every time on any correct machine; sourced by tests and by the benchmark.

# workload_round ID: one round of work; prints its deterministic result.
workload_round() {
  d=/tmp/wl.$1
  mkdir -p "$d"
  seq 1 3000 >"$d/a"                                   # file I/O on tmpfs
  cp "$d/a" "$d/b"
  sort -rn "$d/b" >"$d/c"
  cat "$d/a" "$d/c" | md5sum | cut -d' ' -f1
  for i in 1 2 3 4 5 6; do (echo $((i * i * i))); done | sort -n | tr '\n' ' '   # processes
  echo
  sh -c 'trap "echo usr1" USR1; kill -USR1 $$; sleep 0.02'                        # signals, timers
  rm -rf "$d"
}

# workload_workers UNTIL_SECOND ROUNDS: one worker per CPU, each doing rounds until the clock
# reaches UNTIL_SECOND (0: no time limit) or it has done ROUNDS (0: no limit), checking every
# round against the reference; each worker prints its rounds done; returns 1 on a mismatch.
workload_workers() {
  until_s=$1; rounds=$2
  ref=$(workload_round ref)
  cpus=$(grep -c ^processor /proc/cpuinfo)
  w=0
  while [ $w -lt "$cpus" ]; do
    (
      n=0
      while { [ "$until_s" -eq 0 ] || [ "$(date +%s)" -lt "$until_s" ]; } && { [ "$rounds" -eq 0 ] || [ $n -lt "$rounds" ]; }; do
        [ "$(workload_round "$w.$n")" = "$ref" ] || { echo "worker $w round $n: MISMATCH"; exit 1; }
        n=$((n + 1))
      done
      echo "worker $w: $n rounds"
    ) &
    w=$((w + 1))
  done
  bad=0
  for job in $(jobs -p); do wait "$job" || bad=1; done
  return $bad
}

# workload_run SECONDS: every CPU busy with checked rounds for SECONDS.
workload_run() { workload_workers $(($(date +%s) + $1)) 0; }

# workload_rounds N: N checked rounds per CPU, as fast as possible (for the benchmark).
workload_rounds() { workload_workers 0 "$1" >/dev/null; }
