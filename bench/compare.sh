#!/usr/bin/env bash
# Side-by-side benchmark: acnslab and the peer emulator (fake-switches), same machine, same run.
# Not part of `cargo test`; see docs/benchmarks.md. Everything listens on 127.0.0.1, every phase is
# bounded in count and time.
#
#   bench/compare.sh                         # defaults below
#   OURS_NS="100" PEER_NS="1 10" bench/compare.sh
#
# Environment (defaults):
#   OURS_NS="100 1000"    lab sizes for `acnslab bench` (10000 works too, takes a minute)
#   SESSIONS=100 CONC=100 K=10   `acnslab bench` phases
#   BASE_PORT=10000       first SSH port of `acnslab bench` labs (ports stay below 32768; not the
#                         20000-30000 block that `cargo test` hands out, so a test run may go on)
#   UP_PORT=9100          first SSH port of the `acnslab up` lab driven by the peer's client
#   PEER_PORT=31000       first SSH port of the peer's devices
#   LOAD_CONC=1,10,100 LOAD_K=10 SAMPLES=100   ssh_load.py phases, for ours and the peer alike
#   PEER_NS="1 10 100" PEER_MODES=single REPS=1
#   OUT=$HOME/.cache/acnslab-bench/out/compare-<time>   results (JSON, logs, summary.md)
#   ACNSLAB=<path>        use this acnslab binary instead of building it
#   SKIP_PEER=1 / SKIP_OURS=1
#   OURS_SCALE="1000,10000,19000"   also `acnslab bench --scale` of these sizes (each its own
#                         process; start, resume, memory, CPU per session and command, the ratios)
#   SCALE_ADDRESSING=loopback   its addressing (`ports` keeps every device on 127.0.0.1)
#   SCALE_STATE=/dev/shm/acnslab-scale   its state directories (tmpfs: the disk's inode
#                         allocation would dominate a fresh start)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
[ -d "$shared" ] || shared=/work/shared/bench
venv="${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/acnslab-bench/venv}"
py="$venv/bin/python"

OURS_NS="${OURS_NS:-100 1000}"
SESSIONS="${SESSIONS:-100}"
CONC="${CONC:-100}"
K="${K:-10}"
BASE_PORT="${BASE_PORT:-10000}"
UP_PORT="${UP_PORT:-9100}"
PEER_PORT="${PEER_PORT:-31000}"
LOAD_CONC="${LOAD_CONC:-1,10,100}"
LOAD_K="${LOAD_K:-10}"
SAMPLES="${SAMPLES:-100}"
PEER_NS="${PEER_NS:-1 10 100}"
PEER_MODES="${PEER_MODES:-single}"
REPS="${REPS:-1}"
OUT="${OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/acnslab-bench/out/compare-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

if [ -z "${ACNSLAB:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  (cd "$root" && cargo build --release -p acnslab)
  ACNSLAB="$CARGO_TARGET_DIR/release/acnslab"
fi
[ -x "$py" ] || "$shared/setup_venv.sh"

{ date -u; uname -srm; nproc; free -m | sed -n 2p; "$ACNSLAB" --version; } > "$OUT/machine.txt"
echo "results in $OUT"

if [ "${SKIP_OURS:-0}" != 1 ]; then
  # 1. acnslab bench: start-up, memory, SSH latency and server CPU with its own (russh) client.
  for n in $OURS_NS; do
    echo "=== acnslab bench --devices $n (load: $(cut -d' ' -f1-3 /proc/loadavg)) ==="
    "$ACNSLAB" bench --devices "$n" --sessions "$SESSIONS" --concurrency "$CONC" \
      --commands "$K" --base-port "$BASE_PORT" --json "$OUT/ours-bench-n$n.json" \
      | tee "$OUT/ours-bench-n$n.txt"
  done

  # 1b. the scaling table: one process per size, every size in this run.
  if [ -n "${OURS_SCALE:-}" ]; then
    scale_state="${SCALE_STATE:-/dev/shm/acnslab-scale}"
    echo "=== acnslab bench --scale $OURS_SCALE (load: $(cut -d' ' -f1-3 /proc/loadavg)) ==="
    "$ACNSLAB" bench --scale "$OURS_SCALE" --addressing "${SCALE_ADDRESSING:-loopback}" \
      --base-port "$BASE_PORT" --state-dir "$scale_state" --json "$OUT/ours-scale.json" \
      | tee "$OUT/ours-scale.txt"
    rm -rf "$scale_state"
  fi

  # 2. the peer's client (paramiko, netmiko) against `acnslab up` (the default lab, 5 devices).
  #    netmiko's default config step is an IOS switch's (interface FastEthernet0/1); ACNS has none,
  #    so ours gets an ACNS line of the same kind (the peer keeps the harness default).
  state="$(mktemp -d /tmp/acnslab-compare.XXXXXX)"
  "$ACNSLAB" up --state-dir "$state" --base-port "$UP_PORT" > "$OUT/ours-up.log" 2>&1 &
  lab_pid=$!
  trap 'kill "$lab_pid" 2>/dev/null || true; rm -rf "$state"' EXIT
  for _ in $(seq 1 100); do
    [ -f "$state/lab.json" ] && break
    sleep 0.1
  done
  sleep 1
  echo "=== ssh_load.py against acnslab up (pid $lab_pid, load: $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  "$py" "$shared/procmem.py" "$lab_pid" --devices 5 > "$OUT/ours-up-mem-idle.json"
  "$py" "$shared/ssh_load.py" --targets "127.0.0.1:$UP_PORT-$((UP_PORT + 4))" \
    --username admin --password default --server-pids "$lab_pid" \
    --latency-samples "$SAMPLES" --concurrency "$LOAD_CONC" --commands-per-session "$LOAD_K" \
    --max-seconds 60 --netmiko 1 --netmiko-config "ip default-gateway 10.1.1.254" \
    --netmiko-verify-cmd "show running-config" --netmiko-verify-expect "ip default-gateway 10.1.1.254" \
    --label acnslab-up --json-out "$OUT/ours-sshload.json" \
    | tee "$OUT/ours-sshload.txt"
  "$py" "$shared/procmem.py" "$lab_pid" --devices 5 > "$OUT/ours-up-mem-after.json"
  kill "$lab_pid"
  wait "$lab_pid" 2>/dev/null || true
  rm -rf "$state"
  trap - EXIT
fi

if [ "${SKIP_PEER:-0}" != 1 ]; then
  # 3. the peer, same client, same phases.
  echo "=== peer: fake-switches, NS=\"$PEER_NS\" MODES=$PEER_MODES (load: $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  NS="$PEER_NS" MODES="$PEER_MODES" REPS="$REPS" CONC="$LOAD_CONC" K="$LOAD_K" SAMPLES="$SAMPLES" \
    MAX_SECONDS=60 OUT="$OUT/peer" EXTRA="--base-port $PEER_PORT ${EXTRA:-}" "$shared/run_peer_bench.sh" | tee "$OUT/peer.txt"
fi

# 4. one summary of the figures both were measured on.
"$py" - "$OUT" > "$OUT/summary.md" <<'PYEOF'
import glob, json, os, sys
out = sys.argv[1]
def load(p):
    try:
        return json.load(open(p))
    except (OSError, ValueError):
        return None
print("## acnslab bench (russh client, server CPU from getrusage in the lab process)\n")
print("| N | fresh start s | RSS KiB/dev | PSS KiB/dev | resume s | resume RSS KiB/dev | seq conn..show ver p50/p99 ms | srv CPU ms/session | burst of C: conn..show ver p50/p99 ms | new session with C open p50/p99 ms | conc cmd p50/p99 ms | cmd/s | srv CPU ms/cmd |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for p in sorted(glob.glob(os.path.join(out, "ours-bench-n*.json")), key=lambda p: int(p.split("-n")[-1][:-5])):
    r = load(p)
    if not r:
        continue
    f, res, s, c = r["fresh_start"], r.get("resume") or {}, r["sequential"], r["concurrent"]
    sv, cv, cc = s["client"]["connect_to_show_version_ms"], c["client"]["connect_to_show_version_ms"], c["client"]["command_ms"]
    pv = c["client"].get("probe_connect_to_show_version_ms") or {}
    print(f"| {r['devices']} | {f['wall_s']} | {f['rss_kb_per_device']:.1f} | {f.get('pss_kb_per_device') or 0:.1f} | {res.get('wall_s')} | {res.get('rss_kb_per_device') or 0:.1f} "
          f"| {sv['p50']:.2f}/{sv['p99']:.2f} | {s['server_cpu']['ms_per_session']:.3f} | {cv['p50']:.1f}/{cv['p99']:.1f} | {pv.get('p50', 0):.2f}/{pv.get('p99', 0):.2f} | {cc['p50']:.2f}/{cc['p99']:.2f} "
          f"| {c['client']['commands_per_s']:.0f} | {c['server_cpu_commands']['ms_per_command']:.4f} |")

def sshload_rows(label, d, devices):
    if not d:
        return
    lat = d.get("latency") or {}
    t = lat.get("total_ms", {})
    srv = lat.get("server_cpu_s")
    per_sess = None if srv is None or not lat.get("ok") else round(srv * 1000 / lat["ok"], 3)
    tp = " ; ".join(f"C={x['concurrency']}: {x['commands_per_s']} cmd/s, cmd p50/p99 {x['command_ms'].get('p50')}/{x['command_ms'].get('p99')} ms, setup p99 {x['setup_ms'].get('p99')} ms, srv {x.get('server_cpu_ms_per_command')} ms/cmd, errors {sum(x['errors'].values())}"
                    for x in d.get("throughput", []))
    nm = "; ".join(("PASS" if n["pass"] else "FAIL") for n in d.get("netmiko", []))
    print(f"| {label} | {devices} | {t.get('p50')}/{t.get('p99')} | {per_sess} | {tp} | {nm} |")

print("\n## the peer harness's client (ssh_load.py, paramiko) against both\n")
print("| server | devices | seq connect..show ver..disconnect p50/p99 ms | srv CPU ms/session (incl. 1 cmd) | throughput | netmiko |")
print("|---|---|---|---|---|---|")
sshload_rows("acnslab up", load(os.path.join(out, "ours-sshload.json")), 5)
for p in sorted(glob.glob(os.path.join(out, "peer", "*-n*-r*.json"))):
    d = load(p)
    if not d:
        continue
    name = os.path.basename(p)[:-5]
    sshload_rows(f"fake-switches {name}", d.get("load"), name.split("-n")[-1].split("-")[0])
print("\n## the peer's start-up and memory (peer_fake_switches.py, all devices of a run)\n")
print("| run | startup s | RSS MB total | RSS MB/device | PSS MB total |")
print("|---|---|---|---|---|")
for p in sorted(glob.glob(os.path.join(out, "peer", "*-n*-r*.json"))):
    st = (load(p) or {}).get("start") or {}
    print(f"| {os.path.basename(p)[:-5]} | {st.get('startup_s')} | {st.get('rss_mb_total')} | {st.get('rss_mb_per_device')} | {st.get('pss_mb_total')} |")
mem = load(os.path.join(out, "ours-up-mem-idle.json"))
if mem:
    print(f"\nacnslab up (5 devices) idle: RSS {mem['rss_kb_total']} KiB, PSS {mem['pss_kb_total']} KiB")
PYEOF
cat "$OUT/summary.md"
if [ -f "$OUT/peer.txt" ]; then
  echo; echo "peer summary (run_peer_bench.sh):"; sed -n '/^#\|^|/p' "$OUT/peer.txt" | tail -40
fi
