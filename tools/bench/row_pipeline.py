"""make bench, row 3: pipeline throughput over synthetic captures (tools/bench/gen_capture)."""
import os, subprocess, tempfile

from harness import BUILD, QUICK
from pipeline import cpu_fields, floor_fields, pipeline_rounds


def row():
    """Decode + sessions + JSON + the SQLite store (as wardend runs by default) on one thread,
    from the daemon's own records; the median of PIPE_REPS runs, interleaved with the other
    configurations' (pipeline_rounds()), timed to the last checkpoint
    (every event in the database file). The store's WAL checkpoints run on a thread of
    their own, as in wardend: its CPU time is reported beside (checkpoint_cpu_share, of
    all the CPU the run used; cpu_cores, that CPU over the wall time). The same capture
    without the store is reported too: the store's share of the cost; and the stored run
    with the whole process pinned to one CPU (one_cpu_pinned_*), checkpoints included."""
    gen = os.path.join(BUILD, "bench", "gen_capture")
    d = tempfile.mkdtemp(prefix="warden-bench-cap-")
    db = os.path.join(d, "pipeline.db")
    rows = []
    try:
        n = 20000 if QUICK else 1000000
        cap = os.path.join(d, "simple.cap")
        subprocess.run([gen, "simple", str(n), cap], check=True)
        m = pipeline_rounds(cap, d, db, pin=True)
        st, bare, pinned = m["stored"], m["bare"], m["pinned"]
        rows.append({"workload": f"pipeline: {n} process/network records, stored",
                     "figure": "events/s", "empty": None,
                     "warden": int(st["records_per_s"]),
                     **floor_fields(m, lambda s: int(st["records"] / s)),
                     "target": ">= 500000 events/s",
                     "without_store_events_per_s": int(bare["records_per_s"]),
                     "runs_events_per_s": st["runs_records_per_s"],
                     "one_cpu_pinned_events_per_s": int(pinned["records_per_s"]),
                     "one_cpu_pinned_runs": pinned["runs_records_per_s"],
                     **cpu_fields(st),
                     "pass": st["records_per_s"] >= 500000 and st["malformed"] == 0})
        for size, pairs, target in ((4096, 400 if QUICK else 40000, 20000),
                                    (40960, 100 if QUICK else 4000, None)):
            cap = os.path.join(d, f"llm{size}.cap")
            subprocess.run([gen, "llm", str(pairs), str(size), cap], check=True)
            m = pipeline_rounds(cap, d, db)
            st, bare = m["stored"], m["bare"]
            per_s = st["llm_responses"] / st["seconds"]
            whole = all(x["llm_requests"] == pairs and x["llm_responses"] == pairs
                        for x in (st, bare))
            row = {"workload": f"pipeline: {pairs} LLM exchanges, {size // 1024} KiB prompts, SSE, stored",
                   "figure": "pairs/s" if target else "MB/s", "empty": None,
                   "warden": int(per_s) if target else round(st["mb_per_s"], 1),
                   **floor_fields(m, (lambda s: int(pairs / s)) if target else
                                  (lambda s: round(st["mb_per_s"] * st["seconds"] / s, 1))),
                   "target": f">= {target} pairs/s" if target else "report (all decoded)",
                   "pairs_per_s": int(per_s), "mb_per_s": round(st["mb_per_s"], 1),
                   "without_store_pairs_per_s": int(bare["llm_responses"] / bare["seconds"]),
                   "without_store_mb_per_s": round(bare["mb_per_s"], 1),
                   **cpu_fields(st),
                   "pass": whole and (per_s >= target if target else True)}
            if not whole:
                row["error"] = f"decoded {st['llm_requests']}/{st['llm_responses']} of {pairs}"
            rows.append(row)
    finally:
        subprocess.run(["rm", "-rf", d])
    return rows
