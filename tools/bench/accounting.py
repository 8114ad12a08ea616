"""make bench: a configuration's cost counted rather than timed.

Wall times on a shared 2-core machine wander by more than some of the costs
they are meant to show. The kernel counts what BPF programs run
(kernel.bpf_stats_enabled: run_time_ns, run_cnt per program) and what the
daemon's threads ran (schedstat); counted over a workload run they say
where the added time goes, without the noise:
  bpf       the run time of the configuration's programs (names starting with
            its prefix): what the hooks' code costs the traced processes
  daemon    the daemon's CPU (wardend's decode, sessions, store)
The hooks' own dispatch (the tracepoint or uprobe that calls a program) is not
in either: it is what the empty programs' timed cost has beyond their run time.
The statistics cost a little themselves, so these are separate runs from the
timed ones.
"""
import json, os, subprocess, time

STATS = "/proc/sys/kernel/bpf_stats_enabled"
DRAIN_S = 0.5


def prog_stats(prefix):
    """{id: bpftool's record} of the loaded programs whose names start with prefix."""
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    return {p["id"]: p for p in json.loads(r.stdout or "[]")
            if p.get("name", "").startswith(prefix)}


def cpu_ns(pid):
    """The CPU time pid's threads have run, in ns (schedstat: finer than the clock ticks of
    /proc/PID/stat, which a short run may not even reach)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def counted(cfg, prefix, work, warm=None, name_prefix=None):
    """Run work() under cfg (a started-and-stopped Config) with BPF statistics on.
    warm(), if given, runs first, uncounted. Returns {bpf_ns, runs, hits, daemon_ns}:
    run time and run count of the programs named prefix..., hits of those named
    name_prefix... (e.g. the uprobes), and the daemon's CPU, all over work()."""
    with open(STATS) as f:
        before = f.read().strip()
    try:
        with open(STATS, "w") as f:
            f.write("1")
        with cfg as c:
            if warm:
                warm()
            a = prog_stats(prefix)
            t0 = cpu_ns(c.proc.pid) if c.proc else 0
            work()
            time.sleep(DRAIN_S)  # the daemon reads in batches: let it finish this work's
            b = prog_stats(prefix)
            t1 = cpu_ns(c.proc.pid) if c.proc else 0
    finally:
        with open(STATS, "w") as f:
            f.write(before)
    delta = lambda key, pfx: sum(p.get(key, 0) - a[i].get(key, 0) for i, p in b.items()
                                 if i in a and p.get("name", "").startswith(pfx))
    return {"bpf_ns": delta("run_time_ns", prefix), "runs": delta("run_cnt", prefix),
            "hits": delta("run_cnt", name_prefix or prefix),
            "daemon_ns": t1 - t0}
