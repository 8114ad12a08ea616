#!/usr/bin/env python3
"""End-to-end tests of the store and the warden CLI: real wardend, real processes.

Run as root from the repository root:
    /usr/bin/python3 tests/e2e/store_test.py [--wardend build/wardend] [-k NAME]
wardend stores into a database in a temporary directory; the warden CLI reads
it while wardend runs and after it stopped; sqlite3 tampers with it. Does not
depend on agent sessions (the session stage is tested with synthetic events
in tests/unit/test_store.c). Prints PASS/FAIL per test and
'e2e: N passed, M failed' last.
"""
import argparse, json, os, signal, sqlite3, subprocess, sys, tempfile, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sensor_test as h  # noqa: E402  (Wardend, check, run)

ROOT = h.ROOT
WARDEN = h.WARDEN
TMP = tempfile.mkdtemp(prefix="warden-store-")
check, Fail, run = h.check, h.Fail, h.run


def Wardend(db, *extra):
    return h.Wardend("--db", db, *extra, raw_tls=False)


def warden(*args, timeout=60):
    _, rc, out, err = run([WARDEN, *args], timeout=timeout)
    return rc, out, err


def new_db():
    return os.path.join(TMP, f"w-{uuid.uuid4().hex[:8]}", "warden.db")


def stored(db, *filters):
    rc, out, err = warden("events", "--json", "--db", db, *filters)
    check(rc == 0, f"warden events: rc {rc}: {err}")
    return [json.loads(line) for line in out.split("\n") if line]


def execs_with(events, m):
    return [e for e in events if e["type"] == "process.exec" and m in " ".join(e.get("argv", []))]


def run_marked(m):
    pid, rc, _, _ = run(["/bin/sh", "-c", f"/bin/echo {m} >/dev/null; /bin/true {m}"])
    check(rc == 0, "sh failed")
    return pid


def copy_db(db):
    dst = os.path.join(TMP, f"copy-{uuid.uuid4().hex[:8]}.db")
    with sqlite3.connect(db) as src, sqlite3.connect(dst) as out:
        src.backup(out)
    return dst


def tamper(db, sql):
    """What anyone with write access could do: plain SQL (Python's sqlite3, as the sqlite3 tool)."""
    with sqlite3.connect(db) as c:
        c.execute(sql)


def t_restart_continues_ids():
    db = new_db()
    m1, m2 = h.marker(), h.marker()
    with Wardend(db) as w1:
        run_marked(m1)
        time.sleep(0.5)
    check(os.stat(os.path.dirname(db)).st_mode & 0o777 == 0o700, "db directory is not 0700")
    with Wardend(db) as w2:
        run_marked(m2)
        time.sleep(0.5)
    evs = stored(db)
    ids = [e["id"] for e in evs]
    check(len(ids) == len(set(ids)) and ids == sorted(ids), "stored ids not unique and increasing")
    a, b = execs_with(evs, m1), execs_with(evs, m2)
    check(a and b, f"stored events lack a run's execs: {len(a)} {len(b)}")
    # The second run numbers on from the first: its output starts above the first's store.
    max1 = max(e["id"] for e in w1.events)
    min2 = min(e["id"] for e in w2.events)
    check(min2 > max1, f"second run restarted ids: first run ended at {max1}, second began at {min2}")
    check(max(e["id"] for e in a) < min(e["id"] for e in b), "run 1's execs not before run 2's")
    # Everything wardend printed is stored, with the same text.
    printed = {e["id"]: e for e in w1.events + w2.events}
    by_id = {e["id"]: e for e in evs}
    missing = [i for i in printed if i not in by_id]
    check(not missing, f"{len(missing)} printed events not stored, e.g. {missing[:5]}")
    check(all(by_id[i] == printed[i] for i in printed), "a stored event differs from the printed one")
    check(evs[-1]["type"] == "agent.stats", "the final agent.stats is not stored last")
    check(evs[-1]["counters"].get("store_errors") == 0, f"store errors: {evs[-1]['counters']}")
    rc, out, err = warden("verify", "--db", db)
    check(rc == 0 and out.startswith(f"ok: {len(evs)} events verified"), f"verify: {rc} {out} {err}")
    # Filters.
    only = stored(db, "--type", "process.exec", "--pid", str(a[0]["pid"]))
    check(only and all(e["type"] == "process.exec" and e["pid"] == a[0]["pid"] for e in only),
          "--type/--pid filter")
    rc, out, _ = warden("show", str(a[0]["id"]), "--db", db)
    check(rc == 0 and json.loads(out)["id"] == a[0]["id"], f"show: {rc}")
    rc, out, _ = warden("events", "--since", "1h", "--db", db)
    check(rc == 0 and m1 in out and m2 in out, "events --since 1h misses the runs")


def t_tamper():
    db = new_db()
    m = h.marker()
    with Wardend(db):
        run_marked(m)
        time.sleep(0.5)
    evs = stored(db)
    target = execs_with(evs, m)[0]["id"]
    # Altered.
    c = copy_db(db)
    rc, out, err = warden("verify", "--db", c)
    check(rc == 0 and out.startswith("ok:"), f"clean copy does not verify: {rc} {out} {err}")
    tamper(c, f"UPDATE events SET json = replace(json, '{m}', 'innocent') WHERE id = {target}")
    rc, out, err = warden("verify", "--db", c)
    check(rc == 1 and f"event ID {target}: hash mismatch (row altered)" in err,
          f"altered row {target}: rc {rc}, {out!r} {err!r}")
    # Deleted.
    c = copy_db(db)
    tamper(c, f"DELETE FROM events WHERE id = {target}")
    rc, out, err = warden("verify", "--db", c)
    check(rc == 1 and f"event ID {target}: missing (row deleted)" in err,
          f"deleted row {target}: rc {rc}, {out!r} {err!r}")
    # The last row too (the head in the meta table names it).
    c = copy_db(db)
    tamper(c, "DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    rc, out, err = warden("verify", "--db", c)
    check(rc == 1 and f"event ID {evs[-1]['id']}: missing (row deleted)" in err,
          f"deleted last row: rc {rc}, {out!r} {err!r}")


def t_bad_input():
    db = new_db()
    with Wardend(db):
        time.sleep(0.3)
    cases = [
        (["timeline", "999999999", "--db", db], 1, "warden: no such session: 999999999"),
        (["export", "999999999", "--db", db], 1, "warden: no such session: 999999999"),
        (["events", "--since", "1x", "--db", db], 2,
         "warden: --since: '1x' is not a duration (30s, 15m, 2h, 7d)"),
        (["events", "--type", "nope", "--db", db], 2, "warden: --type: 'nope'"),
        (["show", "abc", "--db", db], 2, "warden: 'abc' is not an event id"),
        (["status", "--db", os.path.join(TMP, "missing", "x.db")], 1,
         "(is wardend running with --db?)"),
        (["verify", "--db", os.path.join(TMP, "missing.db")], 1, "warden: cannot open"),
        (["frobnicate"], 2, "warden: unknown command 'frobnicate'"),
    ]
    for args, want_rc, want in cases:
        rc, out, err = warden(*args)
        check(rc == want_rc, f"warden {' '.join(args)}: rc {rc}, want {want_rc}: {err!r}")
        check(want in err and len(err.strip().splitlines()) == 1,
              f"warden {' '.join(args)}: stderr {err!r}, want one line with {want!r}")
    for cmd in ("status", "sessions", "timeline", "events", "show", "export", "verify"):
        rc, out, _ = warden(cmd, "--help")
        check(rc == 0 and out.startswith(f"Usage: warden {cmd}") and
              max(len(x) for x in out.splitlines()) <= 80, f"warden {cmd} --help: rc {rc}")
    _, rc, out, _ = run([h.WARDEND, "--help"])
    check(rc == 0 and "--db PATH" in out and "--retention-days" in out and "--db-max-size" in out,
          "wardend --help lacks the store options")
    _, rc, _, err = run([h.WARDEND, "--retention-days", "x"])
    check(rc == 2 and "--retention-days" in err, f"wardend --retention-days x: {rc} {err}")


def t_status_and_follow():
    db = new_db()
    m = h.marker()
    with Wardend(db, "--stats-interval", "1") as w:
        time.sleep(2.5)  # two agent.stats: a rate
        rc, out, err = warden("status", "--db", db)
        check(rc == 0 and "running" in out and "not running" not in out,
              f"status while wardend runs: rc {rc}: {out} {err}")
        check(f"pid {w.proc.pid}" in out, f"status names another pid: {out}")
        check("events/s:" in out and "unknown" not in out.split("events/s:")[1].split("\n")[0],
              f"no event rate: {out}")
        f = subprocess.Popen([WARDEN, "events", "--follow", "--json", "--db", db],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        run_marked(m)
        # Stored within --db-commit-ms (1 s by default); --follow polls every 250 ms.
        deadline = time.time() + 10  # generous: other work may load the host
        while time.time() < deadline and not execs_with(stored(db, "--type", "process.exec"), m):
            time.sleep(0.1)
        time.sleep(0.6)
        f.send_signal(signal.SIGINT)
        out, err = f.communicate(timeout=10)
        # split("\n"), not splitlines(): JSON strings may hold U+2028 and the like.
        got = [json.loads(x) for x in out.decode().split("\n") if x]
        want = execs_with(stored(db, "--type", "process.exec"), m)
        check(execs_with(got, m), f"--follow did not show the new exec {[e['id'] for e in want]}:"
              f" {len(got)} events, ids {got[0]['id'] if got else 0}..{got[-1]['id'] if got else 0},"
              f" {err!r}")
        check(f.returncode == 0, f"--follow exit {f.returncode} on SIGINT")
    rc, out, _ = warden("status", "--db", db)
    check(rc == 1 and "not running" in out, f"status after stop: rc {rc}: {out}")
    rc, out, _ = warden("sessions", "--db", db)
    check(rc == 0, f"sessions: rc {rc}")


def t_commit_interval():
    """Events wait in memory for --db-commit-ms, then are committed; at exit, at once."""
    db, slow, m1, m2 = new_db(), new_db(), h.marker(), h.marker()
    with Wardend(db, "--stats-interval", "0", "--db-commit-ms", "0"):
        with Wardend(slow, "--stats-interval", "0", "--db-commit-ms", "60000"):
            time.sleep(0.3)
            run_marked(m1)
            deadline = time.time() + 10
            while time.time() < deadline and not execs_with(stored(db, "--type", "process.exec"), m1):
                time.sleep(0.1)
            check(execs_with(stored(db, "--type", "process.exec"), m1),
                  "--db-commit-ms 0: the exec is not stored while wardend runs")
            time.sleep(1.5)
            check(not execs_with(stored(slow, "--type", "process.exec"), m1),
                  "--db-commit-ms 60000: the exec was committed within 1.5 s")
            run_marked(m2)
            time.sleep(0.5)
    evs = stored(slow)
    check(execs_with(evs, m1) and execs_with(evs, m2),
          "--db-commit-ms 60000: the execs are not stored after wardend stopped")
    rc, out, err = warden("verify", "--db", slow)
    check(rc == 0 and out.startswith("ok:"), f"verify after a late commit: {rc} {out} {err}")
    _, rc, _, err = run([h.WARDEND, "--db-commit-ms", "60001"])
    check(rc == 2 and "--db-commit-ms: '60001'" in err, f"wardend --db-commit-ms 60001: {rc} {err}")


def t_no_db():
    with h.Wardend("--no-db", raw_tls=False) as w:
        time.sleep(0.3)
    check(w.events, "no events with --no-db")
    check("storing in" not in open(w.errpath).read(), "--no-db still stores")


TESTS = [t_restart_continues_ids, t_tamper, t_bad_input, t_status_and_follow, t_commit_interval,
         t_no_db]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardend", default=h.WARDEND)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    h.WARDEND = os.path.abspath(a.wardend)
    h.TMP = TMP
    if os.geteuid() != 0:
        print("e2e: must run as root", file=sys.stderr)
        sys.exit(2)
    h.run_tests(TESTS, a.k, (TMP,))


if __name__ == "__main__":
    main()
