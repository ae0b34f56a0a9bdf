#!/usr/bin/env bash
# Benchmark: the lab's set-up and teardown, splitsecond vs a plain shell script of ip/wg/nft
# commands (shell_lab.sh) building the same topology and tunnel. Both are measured the same
# way, as whole processes on the wall clock:
#   set-up    from just before the process is started to the client's WireGuard handshake,
#             whose time is read for both through the same UAPI query (last_handshake_time,
#             ns resolution) on the client's wireguard-go socket;
#   teardown  from the moment the bench asks for it (SIGINT to splitsecond; `shell_lab.sh
#             down` started) until that process has exited and every process that lived in
#             the lab's namespaces at that moment is gone.
# splitsecond runs a scenario without probes (the shell lab has none) whose recording would
# last 10 s: the SIGINT arrives while it waits, after the handshake. Every wait is bounded.
# Run as root. Usage: bench/lab_setup.sh [RUNS] [path/to/splitsecond]
set -euo pipefail
runs=${1:-10}
bin=${2:-$(dirname "$0")/../build/src/cli/splitsecond}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "$0: run as root (the lab builds namespaces)" >&2; exit 3; }
exec python3 - "$runs" "$(realpath "$bin")" "$here/shell_lab.sh" <<'PY'
import os, select, signal, socket, statistics, subprocess, sys, tempfile, time

runs, binary, shell_lab = int(sys.argv[1]), sys.argv[2], sys.argv[3]
BOUND = 30.0  # seconds, for every wait

def netns_inode(name):
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except FileNotFoundError:
        return None

def pids_in(inodes):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}/ns/net").st_ino in inodes:
                    out.append(int(d))
            except OSError:
                pass
    return out

def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""

def handshake_ns(client_ns):
    """The client's last handshake (CLOCK_REALTIME ns) through its UAPI socket, or 0."""
    ino = netns_inode(client_ns)
    if ino is None:
        return 0
    for pid in pids_in({ino}):
        if comm(pid) != "wireguard-go":
            continue
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(f"/proc/{pid}/root/run/wireguard/tun0.sock")
            s.sendall(b"get=1\n\n")
            reply = b""
            while not reply.endswith(b"\n\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            s.close()
        except OSError:
            continue
        kv = dict(l.split("=", 1) for l in reply.decode().splitlines() if "=" in l)
        sec, nsec = int(kv.get("last_handshake_time_sec", 0)), int(kv.get("last_handshake_time_nsec", 0))
        if sec:
            return sec * 10**9 + nsec
    return 0

def pin(pids):
    """pidfds of the processes still there (readable once each has exited)."""
    fds = []
    for p in pids:
        try:
            fds.append(os.pidfd_open(p))
        except OSError:
            pass  # already gone
    return fds

def wait_exited(fds, deadline):
    ok = True
    for fd in fds:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        ok = ok and bool(ready)
        os.close(fd)
    return ok

def until(cond, what):
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.002)
    sys.exit(f"lab_setup.sh: {what} did not happen within {BOUND:.0f} s")

def abandon(side, proc, prefix):
    """Tears down a run that failed, so that the bench leaves nothing behind."""
    if side == "splitsecond":
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if side == "shell":
        subprocess.run(["bash", shell_lab, "down", prefix], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=BOUND)

def one_run(side, k, scenario):
    before = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
    devnull = subprocess.DEVNULL
    start = time.time_ns()
    if side == "splitsecond":
        proc = subprocess.Popen([binary, "run", scenario], stdout=devnull, stderr=devnull)
        def client():
            new = [n.split()[0] for n in (set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()) - before]
            return next((n for n in new if n.endswith("-client")), None)
        client_ns = until(client, "splitsecond's client namespace")
        prefix = client_ns[: -len("-client")]
    else:
        prefix = f"sb{os.getpid() % 10000}-{k}"
        client_ns = prefix + "-client"
        proc = subprocess.Popen(["bash", shell_lab, "up", prefix], stdout=devnull,
                                stderr=open(f"/tmp/lab_setup-{prefix}.err", "w"))
    try:
        hs = until(lambda: handshake_ns(client_ns), f"{side}'s handshake")
    except SystemExit:
        abandon(side, proc, prefix)
        if side == "shell":
            print(open(f"/tmp/lab_setup-{prefix}.err").read()[-2000:], file=sys.stderr)
        raise
    if side == "shell":
        os.unlink(f"/tmp/lab_setup-{prefix}.err")
    setup_ms = (hs - start) / 1e6
    if side == "shell":
        if proc.wait(timeout=BOUND) != 0:
            abandon(side, proc, prefix)
            sys.exit("lab_setup.sh: shell_lab.sh up failed")
    inodes = {netns_inode(f"{prefix}-{n}") for n in ("client", "home", "inet", "vpn", "server")} - {None}
    lab_pids = pids_in(inodes)
    pinned = pin(lab_pids)
    t0 = time.monotonic()
    if side == "splitsecond":
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=BOUND)
        if rc != 130:
            sys.exit(f"lab_setup.sh: splitsecond exited {rc} after SIGINT (expected 130)")
    else:
        if subprocess.run(["bash", shell_lab, "down", prefix], stdout=devnull, stderr=devnull,
                          timeout=BOUND).returncode != 0:
            sys.exit("lab_setup.sh: shell_lab.sh down failed")
    all_gone = wait_exited(pinned, t0 + BOUND)
    teardown_ms = (time.monotonic() - t0) * 1e3
    left = [n for n in os.listdir("/run/netns") if n.startswith(prefix + "-")] if os.path.isdir("/run/netns") else []
    if left or not all_gone:
        sys.exit(f"lab_setup.sh: {side} left {left or 'processes'} behind")
    return setup_ms, teardown_ms, len(lab_pids)

with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
    f.write('name = "bench"\ndescription = "lab set-up benchmark: no probes"\n'
            '[record]\nbefore = "10s"\nwindow = "100ms"\n')
    scenario = f.name
try:
    results = {"splitsecond": [], "shell": []}
    for k in range(runs):
        for side in ("splitsecond", "shell"):  # alternated, so that drift hits both alike
            results[side].append(one_run(side, k, scenario))
finally:
    os.unlink(scenario)

med = {s: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
           statistics.median(r[2] for r in v)) for s, v in results.items()}
print(f"median of {runs} runs each ({os.cpu_count()} cores); wall clock, whole processes")
print(f"{'':34} {'set-up ms':>12} {'teardown ms':>12} {'processes':>10}")
print(f"{'splitsecond (netlink, UAPI)':34} {med['splitsecond'][0]:12.1f} {med['splitsecond'][1]:12.1f} {med['splitsecond'][2]:10.0f}")
print(f"{'shell script (ip, wg, nft)':34} {med['shell'][0]:12.1f} {med['shell'][1]:12.1f} {med['shell'][2]:10.0f}")
print(f"{'ratio shell / splitsecond':34} {med['shell'][0] / med['splitsecond'][0]:11.1f}x "
      f"{med['shell'][1] / med['splitsecond'][1]:11.1f}x")
print("set-up: process start to the client's handshake (UAPI last_handshake_time); "
      "teardown: request to process exit with every lab process gone")
PY
