"""make bench's harness: what every row shares.

A row is one small script, tools/bench/row_NAME.py, whose row() returns a dict
in the table's format (or a list of them), and one line in bench.py's ROWS.
The configurations a row runs its workload under, interleaved and repeated
(the machines are noisy: the median of interleaved runs, and ratios between
configurations measured minutes apart at most):
  none      no BPF at all
  empty     empty BPF programs on exactly Warden's hooks (the floor)
  warden    wardend capturing, output to /dev/null
  bpftrace  the peer baseline (row 7), where bpftrace is installed
A row's dict: workload, figure, baseline, empty, warden, ratio, target, pass,
and any other keys, which the table prints below the row and results.json keeps.
"""
import json, os, signal, statistics, subprocess, sys, tempfile, time

import accounting
from rounds import middle_half

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPS = 1 if QUICK else 3
LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
PEER = None  # set in main(): bpftrace installed?
# An added cost below this share of the baseline is lost in these machines' noise.
NOISE_FRACTION = 0.02
CURRENT = {"config": None}  # the configuration measure() is running, for workloads that keep extras
# wardend stores what it sees (the default, as users run it), in a store of the bench's own.
BENCH_DB_DIR = tempfile.mkdtemp(prefix="warden-bench-db-")


def stop(proc, sig, timeout):
    """Ask proc to stop with sig; SIGKILL if it has not within timeout seconds."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Config:
    """A running configuration: started before a workload, stopped after."""

    def __init__(self, name, argv, ready):
        self.name, self.argv, self.ready, self.proc = name, argv, ready, None

    def __enter__(self):
        if not self.argv:
            return self
        self.err = tempfile.TemporaryFile()
        # bpftrace says it is ready on stdout, and prints its events there too.
        out = self.err if self.name == "bpftrace" else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=self.err)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.err.seek(0)
            if self.ready in self.err.read().decode(errors="replace"):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.err.seek(0)
        raise RuntimeError(f"{self.name} did not start: {self.err.read().decode(errors='replace')}")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def __exit__(self, *exc):
        if self.proc:
            stop(self.proc, signal.SIGINT, 20)
        return False


# The peer baseline: bpftrace on the same SSL_* and exec hooks, printing the
# same fields (its buf() caps the plaintext at 200 bytes, BPFTRACE_STRLEN).
BPFTRACE_SCRIPT = r"""
uprobe:LIB:SSL_write,uprobe:LIB:SSL_read { @buf[tid] = arg1; }
uprobe:LIB:SSL_write_ex,uprobe:LIB:SSL_read_ex { @buf[tid] = arg1; @outlen[tid] = arg3; }
uretprobe:LIB:SSL_write,uretprobe:LIB:SSL_read /(int32)retval > 0/ {
  printf("tls %d %d %s %d %r\n", pid, tid, comm, (int32)retval, buf(@buf[tid], (int32)retval));
}
uretprobe:LIB:SSL_write_ex,uretprobe:LIB:SSL_read_ex /(int32)retval == 1/ {
  $n = *(uint64 *)@outlen[tid];
  printf("tls %d %d %s %d %r\n", pid, tid, comm, $n, buf(@buf[tid], $n));
}
tracepoint:sched:sched_process_exec { printf("exec %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:sched:sched_process_exit { printf("exit %d %s\n", pid, comm); }
tracepoint:syscalls:sys_exit_connect { printf("connect %d %s %d\n", pid, comm, args->ret); }
"""


def have_bpftrace():
    return subprocess.run(["sh", "-c", "command -v bpftrace"], capture_output=True).returncode == 0


def ensure_tracefs():
    """The empty programs and bpftrace find tracepoints through tracefs, as libbpf does for
    wardend; wardend mounts it when missing (a fresh host may not have it), the peers
    do not: mount it first, or the floor's and the peer's configurations fail to start."""
    if any(os.path.exists(d) for d in ("/sys/kernel/tracing/events",
                                       "/sys/kernel/debug/tracing/events")):
        return
    r = subprocess.run(["mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"bench: tracefs is not mounted and mounting it at /sys/kernel/tracing "
                 f"failed: {r.stderr.strip()}")
    print("# mounted tracefs at /sys/kernel/tracing (as wardend does when it is missing)")


def configs(extra_warden=()):
    script = BPFTRACE_SCRIPT.replace("LIB", LIBSSL)
    return {
        "bpftrace": Config("bpftrace", ["env", "BPFTRACE_STRLEN=200", "bpftrace", "-e", script],
                           "Attaching"),
        "none": Config("none", None, None),
        "empty": Config("empty", [os.path.join(BUILD, "bench", "empty_probe"), LIBSSL], "ready"),
        "warden": Config("warden", [os.path.join(BUILD, "wardend"), "-o", "/dev/null",
                                    "--stats-interval", "0", "--db",
                                    os.path.join(BENCH_DB_DIR, "bench.db"), *extra_warden],
                         "wardend: ready"),
    }


def run_json(argv):
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(workload, per_op, names=("none", "empty", "warden"), reps=None):
    """Median ns per op for each configuration, runs interleaved; under "added", the
    median over rounds of each configuration's cost beyond "none" in the same round
    (paired: a round's runs are seconds apart, the rounds minutes, and the machine's
    speed drifts between them)."""
    cfgs = configs()
    if PEER and not QUICK:
        names = (*names, "bpftrace")
    samples = {n: [] for n in names}
    for i in range(reps or REPS):
        # Every other round in reverse: no configuration always runs first or after another.
        for n in (names if i % 2 == 0 else tuple(reversed(names))):
            CURRENT["config"] = n
            with cfgs[n]:
                r = workload()
            samples[n].append(r["ns"] / per_op(r))
    med = {n: statistics.median(v) for n, v in samples.items()}
    paired = {n: [a - b for a, b in zip(samples[n], samples["none"])]
              for n in names if n != "none"}
    med["added"] = {n: statistics.median(v) for n, v in paired.items()}
    # What the rounds resolve: the spread of warden's paired cost beyond the floor's.
    med["beyond_iqr"] = middle_half([w - e for w, e in zip(paired["warden"], paired["empty"])])
    med["samples"] = samples
    return med


def allowance(med, target_ratio):
    """What Warden may add, in ns per op. A floor lost in the noise (< 2% of the baseline)
    cannot be told from it: then Warden passes if its cost is lost in the noise too. The
    allowance is the larger of the two, so it does not jump down as the floor crosses
    the noise line."""
    return max(target_ratio * med["added"]["empty"], NOISE_FRACTION * med["none"])


def overhead_row(name, figure, med, target_ratio, unit_div=1000.0, extra=None):
    added_w = med["added"]["warden"]
    added_e = med["added"]["empty"]
    noise = NOISE_FRACTION * med["none"]
    allowed = allowance(med, target_ratio)
    ratio = added_w / added_e if added_e > noise else None  # a ratio to noise means nothing
    ok = added_w <= allowed
    row = {
        "workload": name, "figure": figure,
        "baseline": round(med["none"] / unit_div, 3),
        "empty": round(med["empty"] / unit_div, 3),
        "warden": round(med["warden"] / unit_div, 3),
        "ratio": None if ratio is None else round(ratio, 2),
        "added": {n: round(v / unit_div, 3) for n, v in med["added"].items()},
        "target": f"added <= {target_ratio}x empty's added" + (
            "" if target_ratio * added_e >= noise else " (floor < 2%: or warden < 2% too)"),
        "pass": ok,
        "allowed_added": round(allowed / unit_div, 3),
        "warden_beyond_empty_iqr": [round(v / unit_div, 3) for v in med["beyond_iqr"]],
        "samples_per_op": {n: [round(x / unit_div, 3) for x in v]
                           for n, v in med["samples"].items()},
    }
    if "bpftrace" in med:
        added_b = med["added"]["bpftrace"]
        row["bpftrace"] = round(med["bpftrace"] / unit_div, 3)
        row["bpftrace_added_vs_warden_added"] = round(added_b / added_w, 2) if added_w > 0 else None
    row.update(extra or {})
    return row


def cert():
    d = tempfile.mkdtemp(prefix="warden-bench-")
    c, k = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k,
                    "-out", c, "-days", "1", "-subj", "/CN=127.0.0.1"], check=True,
                   capture_output=True)
    return c, k


STORM_TARGET = 1.3  # Warden's added cost <= 1.3x the empty programs'
# A storm's floor is a few % of its op, and the host's speed wanders by more over a
# minute: many short rounds, each a few seconds per configuration, paired within the round.
STORM_REPS = 1 if QUICK else 10


def storm_row(kind, n, name, figure):
    """A storm's wall time per op; beside it, the CPU time the storm itself used per op
    (its own and its children's: what the hooks cost the traced processes, without the
    daemon's share of the machine)."""
    tool = os.path.join(BUILD, "bench", "exec_storm")
    cpu = {}

    def work():
        r = run_json([tool, kind, str(n)])
        cpu.setdefault(CURRENT["config"], []).append(r["cpu_ns"] / r["ops"] / 1000.0)
        return r

    med = measure(work, lambda r: r["ops"], reps=STORM_REPS)
    cpu_med = {k: round(statistics.median(v), 3) for k, v in cpu.items()}
    counted = counted_per_op([tool, kind, str(n)], n)
    # Warden pays the hooks' dispatch as the empty programs do, and its programs' run
    # time beyond theirs on top: that extra alone must fit in what the target leaves
    # over the floor (0.3x the floor at 1.3x; up to 2% of the baseline when that is more).
    extra_bpf = counted["warden"]["bpf"] - counted["empty"]["bpf"]
    floor = max(med["added"]["empty"], 0.0)  # a floor timed below zero is noise: none
    allowed = (allowance(med, STORM_TARGET) - floor) / 1000.0
    # Whether the timed rounds can tell at all: the middle half of Warden's paired cost
    # beyond the floor's lies all within what the target leaves over the floor, or all
    # beyond it. Where it straddles, the counted figure is the one that says something;
    # the timed verdict stays the row's.
    lo, hi = (v / 1000.0 for v in med["beyond_iqr"])
    resolves = None if len(med["samples"]["none"]) < 4 else (hi <= allowed or lo > allowed)
    return overhead_row(name, figure, med, STORM_TARGET, extra={
        "cpu_us_per_op": cpu_med, "counted_us_per_op": counted,
        "warden_bpf_beyond_empty_us": round(extra_bpf, 3),
        "target_leaves_us": round(allowed, 3),
        "timing_resolves": resolves,  # None: too few rounds to say (BENCH_QUICK)
        "counted_within_target": extra_bpf <= allowed})


def counted_per_op(argv, n):
    """Where the added time of a workload of n ops goes, counted (accounting.py), per op:
    the BPF run time of the empty programs and of Warden's, and wardend's CPU. What the
    empty row's timed cost has beyond its BPF run time is the hooks' dispatch (the
    tracepoint, the uprobe trap), which Warden pays too."""
    cfgs, out = configs(), {}
    for cfg, prefix in (("empty", "empty_"), ("warden", "warden_")):
        c = accounting.counted(cfgs[cfg], prefix, lambda: run_json(argv))
        out[cfg] = {"bpf": round(c["bpf_ns"] / n / 1000, 3),
                    "bpf_runs": round(c["runs"] / n, 1)}
        if cfg == "warden":
            out[cfg]["wardend_cpu"] = round(c["daemon_ns"] / n / 1000, 3)
    return out


class Mock:
    """tools/mock-llm/server.mjs on a free port, for the length of a `with`."""

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tools", "mock-llm", "server.mjs"),
                                      "--port", "0"], stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError("mock-llm did not start: " +
                               self.log.read().decode(errors="replace").strip()[-300:])
        self.port = json.loads(line)["port"]
        return self

    def requests(self):
        self.log.seek(0)
        return [l for l in self.log.read().decode(errors="replace").splitlines()
                if l.startswith("mock-llm: ") and " HTTP/" in l]

    def __exit__(self, *exc):
        stop(self.proc, signal.SIGTERM, 10)
        return False
