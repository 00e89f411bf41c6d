#!/usr/bin/env bash
# Faults in sweeps: usage sweep_faults.sh DLASIM INPUTS OUT WORKDIR.
#   1. a point over --point-timeout is killed and recorded failed, the others finish; --retry-failed runs it alone;
#   2. a point killed by a signal (SIGSEGV sent from outside) is recorded with the signal, the others finish;
#   3. the whole sweep killed (SIGKILL to its process group) and restarted: finished points are kept, not redone,
#      and the merged tables equal a clean run's.
set -u
DLASIM=$1 INPUTS=$2 OUT=$3
cd "$4" || exit 1
S=$INPUTS/sweep_faults.yaml
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "FAIL: $*" >&2; exit 1; }
point_json() { cat "$1"/points/"$2"-*/point.json; }
wait_running() {  # until the process of point $2 of sweep dir $1 runs; prints its pid
  local pid=""
  for _ in $(seq 1 600); do
    pid=$(pgrep -f -- "$1/points/$2-" | head -n 1)
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    sleep 0.05
  done
  return 1
}

# 1. time limit
"$DLASIM" sweep "$S" -j 2 --point-timeout 1 --out "$OUT/timeout" > "$OUT/timeout.out" 2> "$OUT/timeout.err"
rc=$?; [ $rc -eq 1 ] || fail "sweep with --point-timeout 1 exited $rc, expected 1"
point_json "$OUT/timeout" p001 | grep -q '"signal": 9' || fail "p001 not killed by SIGKILL: $(point_json "$OUT/timeout" p001)"
point_json "$OUT/timeout" p001 | grep -q 'exceeded the point time limit of 1 s (--point-timeout)' || fail "p001 error"
for p in p000 p002; do point_json "$OUT/timeout" $p | grep -q '"status": "ok"' || fail "$p not ok after the timeout"; done
kept=$(point_json "$OUT/timeout" p000)
"$DLASIM" sweep "$S" -j 2 --retry-failed --out "$OUT/timeout" > "$OUT/retry.out" 2>&1 || fail "retry: $(cat "$OUT/retry.out")"
grep -q '3 points, 3 ok, 0 failed; 2 already recorded, 1 run' "$OUT/retry.out" || fail "retry: $(cat "$OUT/retry.out")"
[ "$kept" = "$(point_json "$OUT/timeout" p000)" ] || fail "p000 was redone"

# 2. a point killed by a signal
"$DLASIM" sweep "$S" -j 1 --out "$OUT/signal" > "$OUT/signal.out" 2>&1 &
sweep=$!
pid=$(wait_running "$OUT/signal" p001) || fail "p001 never started"
kill -SEGV "$pid"
wait $sweep; rc=$?; [ $rc -eq 1 ] || fail "sweep with a killed point exited $rc, expected 1"
point_json "$OUT/signal" p001 | grep -q '"signal": 11' || fail "p001 record: $(point_json "$OUT/signal" p001)"
point_json "$OUT/signal" p001 | grep -q 'killed by signal 11 (Segmentation fault)' || fail "p001 error text"
for p in p000 p002; do point_json "$OUT/signal" $p | grep -q '"status": "ok"' || fail "$p not ok"; done
grep -q 'point p001-[^ ]* failed: killed by signal 11' "$OUT/signal.out" || fail "no failure line: $(cat "$OUT/signal.out")"

# 3. the whole sweep killed and restarted
setsid "$DLASIM" sweep "$S" -j 1 --out "$OUT/restart" > /dev/null 2>&1 &
sweep=$!
wait_running "$OUT/restart" p001 > /dev/null || fail "p001 never started"
kill -KILL -- -"$sweep"
wait $sweep 2> /dev/null
[ -f "$OUT"/restart/points/p000-*/point.json ] || fail "p000 had finished but has no point.json"
ls "$OUT"/restart/points/p001-*/point.json > /dev/null 2>&1 && fail "p001 was interrupted but has a point.json"
kept=$(point_json "$OUT/restart" p000)
"$DLASIM" sweep "$S" -j 2 --out "$OUT/restart" > "$OUT/restart.out" 2>&1 || fail "restart: $(cat "$OUT/restart.out")"
grep -q '3 points, 3 ok, 0 failed; 1 already recorded, 2 run' "$OUT/restart.out" || fail "restart: $(cat "$OUT/restart.out")"
[ "$kept" = "$(point_json "$OUT/restart" p000)" ] || fail "p000 was redone after the restart"
"$DLASIM" sweep "$S" -j 2 --out "$OUT/clean" > /dev/null 2>&1 || fail "clean sweep failed"
for f in sweep.csv sweep.json; do
  cmp -s "$OUT/restart/$f" "$OUT/clean/$f" || fail "$f of the restarted sweep differs from a clean run's"
done
echo "sweep faults: ok"
