"""make bench, row 3: pipeline throughput over records the kernel really produced."""
import os, subprocess, tempfile, time

from harness import BUILD, QUICK, configs, run_json
from pipeline import cpu_fields, floor_fields, pipeline_rounds, replay_stats


def row():
    """The pipeline over records the kernel really produced: wardend --capture during an
    exec storm and a connect storm (fork, exec with argv, exit, connect, and what else the
    host ran meanwhile), then that capture replayed --repeat times through decode + sessions
    + JSON + the store, as row_pipeline's synthetic one."""
    d = tempfile.mkdtemp(prefix="warden-bench-rec-")
    cap, db = os.path.join(d, "recorded.cap"), os.path.join(d, "recorded.db")
    storm = os.path.join(BUILD, "bench", "exec_storm")
    execs, connects = (200, 2000) if QUICK else (3000, 30000)
    try:
        cfg = configs(("--capture", cap))["warden"]
        with cfg:
            run_json([storm, "exec", str(execs)])
            run_json([storm, "connect", str(connects)])
            time.sleep(0.5)  # the daemon reads in batches: let it write the last ones
        one = replay_stats(cap)
        if one["records"] < execs * 3 + connects:
            raise RuntimeError(f"the capture holds {one['records']} records, fewer than the "
                               f"{execs * 3 + connects} the storms made")
        # Long enough to time: about 1,000,000 records in all.
        repeat = 1 if QUICK else max(1, 1000000 // one["records"])
        m = pipeline_rounds(cap, d, db, repeat=repeat)
        st = m["stored"]
        return {"workload": f"pipeline: recorded capture ({execs} fork+exec, {connects} connects) "
                            f"x{repeat}, stored",
                "figure": "events/s", "empty": None,
                "warden": int(st["records_per_s"]),
                **floor_fields(m, lambda s: int(st["records"] / s)),
                "target": ">= 500000 events/s",
                "without_store_events_per_s": int(m["bare"]["records_per_s"]),
                "records_per_replay": one["records"],
                "runs_events_per_s": st["runs_records_per_s"], **cpu_fields(st),
                "pass": st["records_per_s"] >= 500000 and st["malformed"] == 0}
    finally:
        subprocess.run(["rm", "-rf", d])
