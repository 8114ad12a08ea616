"""make bench: what the traced processes pay while wardend lags behind its ring."""
import os, signal

import accounting
from harness import BUILD, QUICK, configs, run_json


LAG_TARGET = 1.3  # a lagging daemon costs the traced processes <= 1.3x what a keeping-up one does


def row():
    """What the traced processes pay while wardend lags behind the ring (busy, or throttled
    by its cgroup's CPU quota): a connect storm with wardend stopped (SIGSTOP) against the
    same storm with it reading, the BPF run time counted. The storm's records pass the
    ring's wakeup marks while nobody reads them; a wakeup forced at every record from there
    on (an interrupt each) once cost 7x."""
    tool = os.path.join(BUILD, "bench", "exec_storm")
    n = 1000 if QUICK else 50000
    argv = [tool, "connect", str(n)]
    # The default ring (16 MiB, a mark every 2 MiB): the storm's records (over 5 MiB)
    # pass two marks and fit, so none is dropped, which would cost less.
    cfg = configs()["warden"]
    per_op = {}
    for lag in (False, True):
        def work():
            if lag:
                os.kill(cfg.proc.pid, signal.SIGSTOP)
            try:
                run_json(argv)
            finally:
                if lag:
                    os.kill(cfg.proc.pid, signal.SIGCONT)
        c = accounting.counted(cfg, "warden_", work)
        per_op[lag] = c["bpf_ns"] / n / 1000.0
    ratio = per_op[True] / per_op[False]
    return {"workload": f"connect storm ({n}), wardend stopped (lagging)",
            "figure": "BPF us/connect", "baseline": round(per_op[False], 3), "empty": None,
            "warden": round(per_op[True], 3), "ratio": round(ratio, 2),
            "target": f"<= {LAG_TARGET}x the BPF cost with wardend reading",
            "pass": ratio <= LAG_TARGET}
