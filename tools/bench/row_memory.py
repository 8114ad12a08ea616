"""make bench, row 5: wardend's RSS, idle and with 1,000 live agents among 10,000 processes."""
import json, os, signal, subprocess, time

from harness import BENCH_DB_DIR, BUILD, QUICK, Mock, configs


def row():
    cfg = configs()["warden"]
    with cfg:
        time.sleep(0.5 if QUICK else 2)
        idle = cfg.rss_kib()
        idle_ring = ring_rss_kib(cfg.proc.pid)
    rows = [{"workload": "wardend RSS, idle", "figure": "MiB", "baseline": None, "empty": None,
             "warden": round(idle / 1024, 1), "ratio": None, "target": "<= 64 MiB",
             "ring_rss_mib": round(idle_ring / 1024, 1), "pass": idle <= 64 * 1024}]
    # Live agents (each sent one chat request and holds its connection) among many processes.
    procs, agents = (300, 30) if QUICK else (10000, 1000)
    farm = None
    # A store of its own: what it holds is this load, not the processes of earlier rows.
    load_db = os.path.join(BENCH_DB_DIR, "memory-load.db")
    cfg.argv[cfg.argv.index("--db") + 1] = load_db
    with Mock() as mock:
        try:
            with cfg:
                farm = subprocess.Popen([os.path.join(BUILD, "bench", "proc_farm"), str(procs),
                                         str(agents), str(mock.port)], stdout=subprocess.PIPE,
                                        text=True)
                ready = json.loads(farm.stdout.readline())
                time.sleep(1 if QUICK else 3)  # let wardend take in the last events
                loaded = cfg.rss_kib()
                ring = ring_rss_kib(cfg.proc.pid)
                tracked = store_counts(load_db)
        finally:
            if farm:
                os.killpg(farm.pid, signal.SIGTERM)
                farm.wait()
    rows.append({"workload": f"wardend RSS, {agents} live agents + {procs} processes",
                 "figure": "MiB", "baseline": None, "empty": None,
                 "warden": round(loaded / 1024, 1), "ratio": None, "target": "<= 64 MiB",
                 "agents_failed": ready["failed"], **tracked,
                 "ring_rss_mib": round(ring / 1024, 1),
                 "pass": loaded <= 64 * 1024 and ready["failed"] == 0 and
                 tracked["live_sessions"] >= agents and tracked["processes"] >= procs})
    return rows


def ring_rss_kib(pid):
    """RSS of wardend's BPF map mappings: the ring buffer, whose data pages libbpf maps
    twice (a record may wrap), so RSS counts them twice; kernel memory of a fixed size."""
    total, in_map = 0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if not head[0].endswith(":"):  # a mapping's line, not one of its "Key:" lines
                in_map = line.rstrip().endswith("anon_inode:bpf-map")
            elif in_map and head[0] == "Rss:":
                total += int(head[1])
    return total


def store_counts(db):
    """What wardend tracked under load, from its store: sessions not ended, processes seen.
    The memory figure means something only if the load was really taken in."""
    import sqlite3
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        live = c.execute("SELECT count(*) FROM sessions WHERE end_ts IS NULL").fetchone()[0]
        procs = c.execute("SELECT count(*) FROM processes").fetchone()[0]
    finally:
        c.close()
    return {"live_sessions": live, "processes": procs}
