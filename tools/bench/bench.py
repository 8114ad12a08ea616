#!/usr/bin/env python3
"""make bench: Warden's cost, measured as ratios in one run.

One table: each row a workload run without Warden, with empty BPF programs on
Warden's hooks (the floor), with wardend, and beside them bpftrace on the same
hooks where it is installed (harness.py says how they are run). A row is one
small script, tools/bench/row_NAME.py, whose row() returns the row (a dict in
harness.py's format, or a list of them), plus its NAME in ROWS below.
BENCH_QUICK=1 runs a tiny smoke (for make test): it checks the harness works,
not the figures. BENCH_ROWS=tls,exec runs only the rows whose names contain
those words.
"""
import importlib, json, os, platform, subprocess, sys

import harness
from harness import BENCH_DB_DIR, QUICK, REPS, ROOT, STORM_REPS
from pipeline import PIPE_REPS

# In the table's order; the row numbers beside.
ROWS = [
    "tls",                # 1, and 7 (bpftrace) beside: TLS round trips of an agent-like loop
    "exec",               # 2, and 7: an exec storm
    "connect",            # 2, and 7: a connect storm
    "io",                 # 2's neighbours: plain I/O every process on the host does
    "lagging",            # what the traced processes pay while wardend lags
    "overload",           # 4: drops under overload, all counted
    "memory",             # 5: RSS idle and under load
    "pipeline",           # 3: replay through decode + sessions + store, synthetic
    "pipeline_recorded",  # 3: the same over a capture of real kernel records
    "claude",             # 6: the real Claude Code CLI
]


def cpu_model():
    """The CPU's model name and clock, as /proc/cpuinfo gives them: the absolute rows
    (the pipeline's events/s) move with it, the ratios much less."""
    model, mhz = "unknown CPU", None
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown CPU":
                model = value.strip()
            elif key.strip() == "cpu MHz" and mhz is None:
                mhz = float(value)
    return f"{model} at {mhz:.0f} MHz" if mhz else model


def main():
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (loads eBPF programs)")
    harness.ensure_tracefs()
    harness.PEER = harness.have_bpftrace()
    machine = {"cores": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
               "machine": platform.machine(), "quick": QUICK, "reps": REPS, "pipeline_reps": PIPE_REPS,
               "peer_bpftrace": harness.PEER}
    print(f"# machine: {machine['cores']} cores ({machine['cpu']}), kernel {machine['kernel']}, "
          f"{'QUICK smoke' if QUICK else f'median of {REPS} interleaved rounds, {STORM_REPS} for the storms, {PIPE_REPS} for the pipeline'}")
    print("# baseline: no BPF (overhead rows); SQLite alone storing the same events (pipeline"
          " rows, whose ratio is Warden's share of its speed)")
    results, failed = [], 0
    only = os.environ.get("BENCH_ROWS")  # e.g. BENCH_ROWS=tls,exec
    for name in ROWS:
        if only and not any(w in name for w in only.split(",")):
            continue
        try:
            row = importlib.import_module("row_" + name).row()
        except Exception as e:  # one broken row must not hide the others
            row = {"workload": "row_" + name, "error": str(e), "pass": False}
        results.extend(row if isinstance(row, list) else [row])
    hdr = f"{'workload':<52} {'figure':<22} {'baseline':>10} {'empty':>10} {'warden':>10} {'ratio':>7}  target"
    print(hdr)
    print("-" * len(hdr))
    fmt = lambda v: "-" if v is None else str(v)
    for r in results:
        if "error" in r:
            print(f"{r['workload']:<52} ERROR: {r['error']}")
            failed += 1
            continue
        mark = "" if r["pass"] else "  (target missed)"
        if r.get("timing_resolves") is False:
            # The verdict is the timed one all the same; the table says when it is a coin toss.
            mark = ("  (target " + ("met" if r["pass"] else "missed") + " as timed, but the "
                    "rounds' spread straddles the target")
            if "counted_within_target" in r:
                mark += "; counted: " + ("within" if r["counted_within_target"] else "beyond")
            mark += ")"
        print(f"{r['workload']:<52} {r['figure']:<22} {fmt(r['baseline']):>10} "
              f"{fmt(r['empty']):>10} {fmt(r['warden']):>10} {fmt(r['ratio']):>7}  {r['target']}{mark}")
        extra = {k: v for k, v in r.items() if k not in
                 ("workload", "figure", "baseline", "empty", "warden", "ratio", "target", "pass",
                  "samples_per_op", "samples_s")}  # every run is in results.json
        if extra:
            print(f"{'':<52} {extra}")
    os.makedirs(os.path.join(ROOT, "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
        json.dump({"machine": machine, "rows": results}, f, indent=1)
    # Targets missed are findings, not harness failures; errors are failures.
    subprocess.run(["rm", "-rf", BENCH_DB_DIR])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
