"""make bench, row 3's runs: tools/replay through decode + sessions + the store, beside
the SQLite floor; shared by row_pipeline.py and row_pipeline_recorded.py."""
import json, os, statistics, subprocess

from harness import BUILD, QUICK, run_json

PIPE_REPS = 1 if QUICK else 5  # the pipeline rows' rounds: a few seconds each


def remove_db(db):
    """A SQLite database and its WAL and shared-memory files, so each run starts empty."""
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)


def replay_stats(capture, db=None, pin=False, repeat=1):
    argv = [os.path.join(BUILD, "replay"), "--null", "--stats", "--repeat", str(repeat), capture]
    if db:
        remove_db(db)
        argv[1:1] = ["--db", db]
    os.sync()  # no writeback of the last run's files meanwhile
    if pin:
        # Everything on one CPU, the store's checkpoint thread too: the strict
        # reading of "one core" (the pipeline itself is one thread either way).
        argv[:0] = ["taskset", "-c", str(os.cpu_count() - 1)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if r.returncode:
        raise RuntimeError(f"replay failed: {r.stderr.strip()[-300:]}")
    return json.loads(r.stderr.strip().splitlines()[-1])


def median_run(runs, key):
    """A copy of the run with the median key."""
    return dict(sorted(runs, key=lambda r: r[key])[len(runs) // 2])


def floor_run(lines, db):
    """One SQLite floor run (tools/bench/sqlite_floor.c) over the JSON lines file lines."""
    remove_db(db)
    os.sync()  # no writeback of the last run's files meanwhile
    try:
        return run_json([os.path.join(BUILD, "bench", "sqlite_floor"), db, lines])
    finally:
        remove_db(db)


def pipeline_rounds(capture, d, db, pin=False, repeat=1):
    """The pipeline rows' runs of one capture, interleaved: each of PIPE_REPS rounds runs
    the stored replay, the replay without the store, the stored replay pinned to one CPU
    (pin) and the SQLite floor, in turn, alternating the order. The machine's speed drifts
    over minutes, so each round's Warden/floor ratio compares runs made seconds apart;
    the row's ratio is the median of those.

    The floor is the pipeline rows' baseline: SQLite alone storing the same events, on
    this machine and disk (the store's events table, pragmas, transactions and 64-row
    INSERTs; no decoding, sessions, chain or other tables), fed replay's own JSON output
    of the capture."""
    lines = os.path.join(d, "floor.jsonl")
    with open(lines, "w") as out:
        subprocess.run([os.path.join(BUILD, "replay"), "--repeat", str(repeat), capture],
                       stdout=out, stderr=subprocess.DEVNULL, check=True, timeout=900)
    kinds = ["stored", "bare", "floor"] + (["pinned"] if pin else [])
    runs = {k: [] for k in kinds}
    try:
        for i in range(PIPE_REPS):
            for k in (kinds if i % 2 == 0 else reversed(kinds)):
                if k == "floor":
                    runs[k].append(floor_run(lines, os.path.join(d, "floor.db")))
                else:
                    runs[k].append(replay_stats(capture, db if k != "bare" else None,
                                                pin=k == "pinned", repeat=repeat))
    finally:
        os.unlink(lines)  # the JSON of a million events is large
    for st, fl in zip(runs["stored"], runs["floor"]):
        if fl["rows"] != st["events_out"]:
            raise RuntimeError(f"the SQLite floor stored {fl['rows']} events, the pipeline "
                               f"{st['events_out']}")
    # Every run's figure beside the median run's, in round order.
    out = {k: {**median_run(v, "records_per_s"),
               "runs_records_per_s": [int(r["records_per_s"]) for r in v]}
           for k, v in runs.items() if k != "floor"}
    out["floor"] = {**median_run(runs["floor"], "seconds"),
                    "runs_seconds": [r["seconds"] for r in runs["floor"]]}
    out["ratios"] = [fl["seconds"] / st["seconds"] for st, fl in zip(runs["stored"], runs["floor"])]
    return out


def floor_fields(m, per_s):
    """The stored replay beside the SQLite floor (m: pipeline_rounds()): the floor's figure
    in the row's unit (per_s: the row's figure from a run's seconds) and Warden's share of
    the floor's speed, the median of the rounds' paired shares (ratio_runs: each round's)."""
    return {"baseline": per_s(m["floor"]["seconds"]),
            "ratio": round(statistics.median(m["ratios"]), 2),
            "ratio_runs": [round(x, 3) for x in m["ratios"]],
            "sqlite_floor_runs_s": m["floor"]["runs_seconds"]}


def cpu_fields(st):
    """What a stored replay ran on: cores used over its wall time, the checkpoint thread's share."""
    if not st.get("cpu_s"):
        return {}
    return {"cpu_cores": round(st["cpu_s"] / st["seconds"], 2),
            "checkpoint_cpu_share": round(st["checkpoint_cpu_s"] / st["cpu_s"], 3)}
