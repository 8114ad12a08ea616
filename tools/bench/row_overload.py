"""make bench, row 4: drops under overload, every one counted."""
import json, os, subprocess, tempfile, time

import accounting
from harness import BENCH_DB_DIR, BUILD, QUICK, Config, cert


def row():
    """Overload: TLS floods for 10 s into a 64 KiB ring, every chunk printed and stored
    (--raw-tls with the store on), so the consumer is many times slower than the producers:
    they must offer at least 10x the records the daemon takes in (overload_factor).
    The daemon must stay up with bounded memory, and every record must be received or
    counted as dropped: produced == received + dropped."""
    c, k = cert()
    secs, per_run = (1, 300) if QUICK else (10, 2000)
    # Floods at once, each a client and a server thread: the daemon gets only its share of
    # the machine, and the floods offer at least 10x what it then takes in (on 2 cores
    # three offer ~6x, eight ~10x or more).
    floods_n = int(os.environ.get("BENCH_OVERLOAD_FLOODS", "3" if QUICK else "8"))
    out = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
    wd = Config("warden-small-ring", [os.path.join(BUILD, "wardend"), "-o", out, "--raw-tls",
                                      "--db", os.path.join(BENCH_DB_DIR, "overload.db"),
                                      "--ringbuf-size", "64K", "--stats-interval", "0"],
                "wardend: ready")
    produced, rss_max = 0, 0
    with wd:
        t0 = time.time()
        cpu0 = accounting.cpu_ns(wd.proc.pid)
        argv = [os.path.join(BUILD, "bench", "tls_rt"), c, k, str(per_run)]
        while time.time() - t0 < secs:
            floods = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(floods_n)]
            for p in floods:
                out_, _ = p.communicate(timeout=600)
                if p.returncode:
                    raise RuntimeError(f"tls_rt exited {p.returncode}")
                produced += json.loads(out_.strip().splitlines()[-1])["ssl_calls"]  # <= 16 KiB: one record
            rss_max = max(rss_max, wd.rss_kib())
        elapsed = time.time() - t0
        daemon_cores = (accounting.cpu_ns(wd.proc.pid) - cpu0) / 1e9 / elapsed
    rc = wd.proc.returncode
    received, stats = 0, None
    with open(out) as f:
        for line in f:
            e = json.loads(line)
            if e["type"] in ("tls.write", "tls.read") and e.get("comm") == "tls_rt":
                received += 1
            elif e["type"] == "agent.stats":
                stats = e
    os.unlink(out)
    dropped = stats["drops"]["tls"] if stats else 0
    # Other processes' TLS on the host could only add to received + dropped.
    factor = produced / received if received else None
    ok = stats is not None and rc == 0 and received + dropped >= produced and dropped > 0 \
        and rss_max <= 64 * 1024 and (QUICK or (factor is not None and factor >= 10))
    return {"workload": f"overload: {secs} s of {floods_n} TLS floods into a 64 KiB ring, all stored",
            "figure": "records produced / received + dropped",
            "baseline": produced, "warden": received + dropped, "empty": None,
            "ratio": round((received + dropped) / produced, 3),
            "target": "offered >= 10x taken in; received + dropped == produced, daemon up, "
                      "RSS <= 64 MiB",
            "offered_per_s": int(produced / elapsed), "received_per_s": int(received / elapsed),
            "overload_factor": round(factor, 1) if factor else None, "floods": floods_n,
            "wardend_cpu_cores": round(daemon_cores, 2),
            "received": received, "dropped": dropped, "rss_max_kib": rss_max,
            "wardend_exit": rc, "pass": ok}
