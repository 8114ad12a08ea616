#!/usr/bin/env python3
"""End-to-end tests of agent sessions: real SDK agents, real eBPF.

Run as root from the repository root:
    /usr/bin/python3 tests/e2e/session_test.py [--wardend build/wardend] [-k NAME]
Uses decode_test's fixtures (the mock LLM over HTTPS, the official SDKs).
An agent asked to RUN a shell command must get a session; the command's
processes, their connects and file opens must be in it, linked by cause to
the tool call; other processes must stay out. Prints PASS/FAIL per test and
'e2e: N passed, M failed' last.
"""
import json, argparse, os, shutil, signal, socket, struct, subprocess, sys, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import decode_test as d  # noqa: E402  (fixtures: mock LLM, SDK agents)
import sensor_test as h  # noqa: E402  (Wardend, check, run)

ROOT = h.ROOT
check, Fail = h.check, h.Fail
of_type = d.of_type


def marker():
    return "s" + uuid.uuid4().hex[:12]


def secret_file(m):
    path = os.path.join(d.TMP, f"secret-{m}.txt")
    with open(path, "w") as f:
        f.write(f"content-{m}\n")
    return path


def agent_argv(sdk, prompt, model="gpt-4o-mini"):
    script = os.path.join(d.AGENTS, f"{sdk}_agent.mjs")
    base = f"https://127.0.0.1:{d.MOCK['port']}" + ("/v1" if sdk == "openai" else "")
    if sdk == "anthropic":
        model = "claude-sonnet-4-5"
    return ["node", script, "--sdk-dir", d.NPM_DIR, "--base-url", base, "--model", model,
            "--prompt", prompt, "--stream", "0"]


def chain(by_id, ev, limit=16):
    """The cause ids from ev upwards."""
    out = []
    while ev and ev.get("cause") and len(out) < limit:
        out.append(ev["cause"])
        ev = by_id.get(ev["cause"])
    return out


def tree(events, root):
    """Pids forked (transitively) from root, root included."""
    pids, changed = {root}, True
    forks = of_type(events, "process.fork")
    while changed:
        changed = False
        for f in forks:
            if f["ppid"] in pids and f["pid"] not in pids:
                pids.add(f["pid"])
                changed = True
    return pids


def t_tool_call_causes():
    m = marker()
    tmp = secret_file(m)
    doomed = os.path.join(d.TMP, f"doomed-{m}")
    open(doomed, "w").close()
    cmd = f"sh -c 'curl -sk https://127.0.0.1:{d.MOCK['port']}/health; cat {tmp}; rm {doomed}'"
    with h.Wardend(raw_tls=False) as w:
        pid, rc, out, err = h.run(agent_argv("openai", f"RUN: {cmd}"), env=d.agent_env(),
                                  timeout=120)
        check(rc == 0, f"agent failed ({rc}): {err[-1500:]}")
        check(f"content-{m}" in out, f"agent output lacks the file: {out[-500:]}")
    ev = w.events
    by_id = {e["id"]: e for e in ev}
    starts = [e for e in of_type(ev, "session.start") if e["pid"] == pid]
    check(len(starts) == 1, f"want one session.start for agent {pid}: {of_type(ev, 'session.start')}")
    sid = starts[0]["id"]
    check(starts[0]["session"] == sid and starts[0]["agent"] == "llm-client", f"{starts[0]}")
    check("container_id" in starts[0] and "pod_uid" in starts[0], f"{starts[0]}")
    mine = [e for e in ev if e.get("pid") == pid and e["type"] not in ("agent.stats",)]
    check(all(e.get("session") == sid for e in mine if e["id"] > sid),
          f"agent events outside its session: {[(e['type'], e.get('session')) for e in mine if e['id'] > sid and e.get('session') != sid][:10]}")
    resp = [e for e in of_type(ev, "llm.response", pid) if e["tool_calls"]]
    check(resp, f"no llm.response with a tool call: {d.brief(ev, pid)}")
    rid = resp[0]["id"]
    execs = [e for e in of_type(ev, "process.exec") if e.get("session") == sid]
    sh = [e for e in execs if e["argv"][:2] == ["/bin/sh", "-c"] and e["argv"][2:] == [cmd]]
    check(sh, f"no sh -c exec in the session: {[e['argv'] for e in execs]}")
    sh = sh[0]
    check(sh.get("cause") == rid, f"sh exec cause {sh.get('cause')} != llm.response {rid}")
    curl = [e for e in execs if os.path.basename(e["argv"][0]) == "curl"]
    check(curl, f"no curl exec in the session: {[e['argv'] for e in execs]}")
    curl = curl[0]
    check(sh["id"] in chain(by_id, curl) and rid in chain(by_id, curl),
          f"curl exec cause chain {chain(by_id, curl)} misses sh {sh['id']} / response {rid}")
    conns = [e for e in of_type(ev, "net.connect", curl["pid"]) if e.get("dport") == d.MOCK["port"]]
    check(conns, f"no net.connect of curl: {d.brief(ev, curl['pid'])}")
    check(conns[0].get("cause") == curl["id"] and conns[0].get("session") == sid,
          f"curl connect cause {conns[0].get('cause')} != curl exec {curl['id']}")
    opens = [e for e in of_type(ev, "file.open") if e["path"] == tmp]
    check(opens, f"no file.open of {tmp}: {[e['path'] for e in of_type(ev, 'file.open')][:30]}")
    op = opens[0]
    cat = by_id.get(op.get("cause"))
    check(cat and cat["type"] == "process.exec" and os.path.basename(cat["argv"][0]) == "cat",
          f"file.open cause {op.get('cause')} is not cat's exec: {cat}")
    check(op["session"] == sid and op["result"] >= 0 and "O_RDONLY" in op["flags"], f"{op}")
    check(rid in chain(by_id, cat), f"cat exec chain {chain(by_id, cat)} misses response {rid}")
    # A change to the file tree hangs under the exec that made it, as an open does.
    gone = [e for e in of_type(ev, "file.unlink") if e["path"] == doomed]
    rm = by_id.get(gone[0].get("cause")) if gone else None
    check(gone and gone[0]["session"] == sid and gone[0]["result"] == 0 and rm
          and rm["type"] == "process.exec" and os.path.basename(rm["argv"][0]) == "rm"
          and rid in chain(by_id, rm), f"the rm's file.unlink and its cause: {gone} {rm}")
    reqs = [e for e in of_type(ev, "llm.request", pid) if e.get("tool_results")]
    check(reqs, f"no llm.request with tool results: {d.brief(ev, pid)}")
    check(reqs[0].get("cause") == sh["id"], f"tool result request cause {reqs[0].get('cause')} "
          f"!= sh exec {sh['id']}")
    ends = [e for e in of_type(ev, "session.end") if e["session"] == sid]
    check(ends and ends[0]["processes"] >= 3 and ends[0]["events"] > 5 and ends[0]["duration_ns"] > 0,
          f"session.end: {ends}")
    # The analyst's view: warden timeline, from the store, as a tree under the causes.
    db = w.out + ".db"
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--json", "--db", db])
    check(rc == 0, f"warden timeline --json failed ({rc}): {err}")
    nodes = [json.loads(l) for l in tl.splitlines()]
    depth = {n["id"]: n["depth"] for n in nodes}
    order = [n["id"] for n in nodes]
    for child, parent in ((sh["id"], rid), (curl["id"], None), (conns[0]["id"], curl["id"]),
                          (op["id"], cat["id"])):
        check(child in depth, f"timeline lacks event {child}: {order[:40]}")
        if parent:
            check(parent in depth and depth[child] > depth[parent] and
                  order.index(child) > order.index(parent),
                  f"timeline: {child} not under {parent} ({depth.get(child)} vs {depth.get(parent)})")
    check(depth[curl["id"]] > depth[sh["id"]], "curl exec not under the sh exec in the timeline")
    check(reqs[0]["id"] in depth and reqs[0]["type"] == "llm.request", "tool result request missing")
    _, rc, text, err = h.run([h.WARDEN, "timeline", str(sid), "--db", db])
    check(rc == 0 and "run_shell" in text and "curl" in text and tmp in text,
          f"warden timeline text: {rc} {err} {text[:2000]}")
    check(all(len(l) <= 80 for l in text.splitlines()), "timeline lines wider than 80 columns")
    print("  timeline:\n" + "\n".join("    " + l for l in text.splitlines()[:40]), flush=True)


def t_two_agents_no_crossing():
    m1, m2 = marker(), marker()
    with h.Wardend(raw_tls=False) as w:
        sleeper = subprocess.Popen(["sleep", "30"])
        time.sleep(0.2)
        a1 = subprocess.Popen(agent_argv("openai", f"RUN: echo one-{m1}"), env=d.agent_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        a2 = subprocess.Popen(agent_argv("anthropic", f"RUN: echo two-{m2}"), env=d.agent_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        o1, e1 = a1.communicate(timeout=120)
        o2, e2 = a2.communicate(timeout=120)
        check(a1.returncode == 0 and a2.returncode == 0, f"agents failed: {e1[-500:]} {e2[-500:]}")
        time.sleep(0.5)
        check(sleeper.poll() is None, "sleep ended early")
        sleeper.kill()
        sleeper.wait()
    ev = w.events
    starts = {e["pid"]: e["id"] for e in of_type(ev, "session.start")}
    check(a1.pid in starts and a2.pid in starts and starts[a1.pid] != starts[a2.pid],
          f"want two sessions for {a1.pid}, {a2.pid}: {starts}")
    for pid, other in ((a1.pid, a2.pid), (a2.pid, a1.pid)):
        sid, osid = starts[pid], starts[other]
        pids = tree(ev, pid)
        inside = [e for e in ev if e.get("session") == sid]
        stray = [e for e in inside if e["pid"] not in pids]
        check(not stray, f"session {sid} has events of other processes: {[(e['type'], e['pid'], e['comm']) for e in stray][:10]}")
        crossed = [e for e in ev if e.get("pid") in pids and e.get("session") == osid]
        check(not crossed, f"agent {pid}'s processes in session {osid}: {crossed[:5]}")
        echo = [e for e in of_type(ev, "process.exec") if e.get("session") == sid
                and any(x in " ".join(e["argv"]) for x in (f"one-{m1}", f"two-{m2}"))]
        check(echo, f"the tool's exec is not in session {sid}")
    sleeps = [e for e in ev if e.get("pid") == sleeper.pid]
    check(sleeps, f"no events of sleep {sleeper.pid}")
    check(not [e for e in sleeps if "session" in e], f"sleep got a session: {sleeps}")
    ends = {e["session"] for e in of_type(ev, "session.end")}
    check(starts[a1.pid] in ends and starts[a2.pid] in ends, f"sessions not ended: {ends}")


def t_no_session_no_file_open():
    m = marker()
    tmp = secret_file(m)
    with h.Wardend(raw_tls=False) as w:
        pid, rc, out, err = h.run(["cat", tmp])
        check(rc == 0 and f"content-{m}" in out, f"cat failed: {err}")
    check([e for e in of_type(w.events, "process.exec") if e["pid"] == pid], "cat exec not seen")
    opens = [e for e in of_type(w.events, "file.open") if e["path"] == tmp or e["pid"] == pid]
    check(not opens, f"file.open outside a session: {opens}")
    check(not [e for e in w.events if e.get("pid") == pid and "session" in e], "cat got a session")


def t_named_agent():
    """--agent: the session starts at the exec, before any LLM traffic."""
    m = marker()
    tmp = secret_file(m)
    script = os.path.join(d.TMP, f"named-agent-{m}.sh")
    with open(script, "w") as f:
        # The kernel learns of the session when wardend reads the exec (up to
        # --max-latency-ms later): what the agent does before that has no file.open.
        f.write(f"#!/bin/sh\nsleep 0.3\ncat {tmp}\n")
    os.chmod(script, 0o755)
    with h.Wardend("--agent", os.path.basename(script), raw_tls=False) as w:
        pid, rc, out, err = h.run(["sh", script])
        check(rc == 0, f"script failed: {err}")
    starts = [e for e in of_type(w.events, "session.start") if e["pid"] == pid]
    check(starts and starts[0]["agent"] == os.path.basename(script), f"no named session: {starts}")
    opens = [e for e in of_type(w.events, "file.open") if e["path"] == tmp]
    check(opens and opens[0]["session"] == starts[0]["id"], f"cat's open not in it: {opens}")
    forks = [e for e in of_type(w.events, "process.fork") if e["ppid"] == pid]
    check(forks and all(e.get("session") == starts[0]["id"] for e in forks), f"forks: {forks}")


def t_named_agent_at_exec():
    """--agent NAME: the kernel makes it a member at the exec, so even its first open is seen;
    a program that only shares NAME's first 15 bytes (what comm keeps) gets no session."""
    m = marker()
    tmp = secret_file(m)
    stem = f"agent-{m}"[:15]  # exactly what comm keeps of both names below
    scripts = {}
    for tag in ("named", "twin"):
        path = os.path.join(d.TMP, f"{stem}-{tag}.sh")
        with open(path, "w") as f:  # no sleep: the shell opens its script, then cat runs
            f.write(f"#!/bin/sh\ncat {tmp}\n")
        os.chmod(path, 0o755)
        scripts[tag] = path
    with h.Wardend("--agent", os.path.basename(scripts["named"]), raw_tls=False) as w:
        # The twin first: then /bin/sh is a program wardend has inspected, whose
        # exec does not wake it at once (an unknown one would, and hide a miss).
        tpid, rc, out, err = h.run([scripts["twin"]])
        check(rc == 0 and f"content-{m}" in out, f"twin script failed: {err}")
        time.sleep(0.2)
        pid, rc, out, err = h.run([scripts["named"]])
        check(rc == 0 and f"content-{m}" in out, f"named script failed: {err}")
    ev = w.events
    starts = [e for e in of_type(ev, "session.start") if e["pid"] == pid]
    check(starts, f"no session for the named agent {pid}: {of_type(ev, 'session.start')}")
    sid = starts[0]["id"]
    own = [e for e in of_type(ev, "file.open") if e["pid"] == pid and e["path"] == scripts["named"]]
    check(own and own[0]["session"] == sid,
          f"the shell's open of its own script (right after exec) not seen: "
          f"{[(e['pid'], e['path']) for e in of_type(ev, 'file.open')][:20]}")
    cats = [e for e in of_type(ev, "file.open") if e["path"] == tmp]
    check(len(cats) == 1 and cats[0]["session"] == sid and cats[0]["pid"] != pid,
          f"want one open of {tmp}, by the named agent's cat: {cats}")
    twin = [e for e in ev if e.get("pid") == tpid]
    check(twin, f"no events of the twin {tpid}")
    check(not [e for e in twin if "session" in e], f"the twin got a session: {twin[:3]}")
    check(not [e for e in of_type(ev, "session.start") if e["pid"] == tpid], "twin session")


def named_agent(m, text, then=None):
    """Runs text as an executable named agent-<m> under `wardend --agent` that name, then
    `then()` if given, wardend still up. Returns (wardend, pid, stdout, session id, then's)."""
    script = os.path.join(d.TMP, f"agent-{m}"[:15])
    with open(script, "w") as f:
        f.write(text)
    os.chmod(script, 0o755)
    with h.Wardend("--agent", os.path.basename(script), raw_tls=False) as w:
        pid, rc, out, err = h.run([script])
        check(rc == 0, f"{script} failed ({rc}): {out} {err}")
        after = then() if then else None
    starts = [e for e in of_type(w.events, "session.start") if e["pid"] == pid]
    check(starts, f"no session for the named agent {pid}")
    return w, pid, out, starts[0]["id"], after


def t_open_args_not_paged_in():
    """A member opens a path that lies in a page never touched (a fresh private mapping of a
    file holding it): the entry tracepoint cannot read it, so the exit must, or the open of a
    secret would go unseen. So for openat2's open_how, whose flags say it opens for writing.
    A bad pointer still gives path_unreadable, and nothing else."""
    m = marker()
    tmp = secret_file(m)
    holder = os.path.join(d.TMP, f"path-holder-{m}")
    with open(holder, "wb") as f:  # page 2: the path; page 3: an open_how {flags, mode, resolve}
        f.write(b"\0" * 4096 + tmp.encode().ljust(4096, b"\0") +
                struct.pack("<QQQ", os.O_WRONLY | os.O_APPEND, 0, 0))
    w, pid, out, _, _ = named_agent(
        m, "#!/usr/bin/python3\n"
                "import ctypes, mmap, os\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.mmap.restype = ctypes.c_void_p\n"
                "libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,"
                " ctypes.c_int, ctypes.c_long]\n"
                "libc.openat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n"
                "libc.syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,"
                " ctypes.c_size_t]\n"
                f"fd = os.open({holder!r}, os.O_RDONLY)\n"
                "def fresh():  # a new mapping: none of its pages mapped in yet\n"
                "    base = libc.mmap(None, 12288, mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)\n"
                "    assert base not in (None, ctypes.c_void_p(-1).value)\n"
                "    return base\n"
                "got = libc.openat(-100, fresh() + 4096, os.O_RDONLY)\n"
                "assert got >= 0, ctypes.get_errno()\n"
                "base = fresh()\n"
                "got2 = libc.syscall(437, -100, base + 4096, base + 8192, 24)  # openat2\n"
                "assert got2 >= 0, ctypes.get_errno()\n"
                "print('opened', got, got2, flush=True)\n"
                "bad = libc.openat(-100, 8, os.O_RDONLY)\n"
                "assert bad < 0 and ctypes.get_errno() == 14, (bad, ctypes.get_errno())\n")
    check("opened" in out, f"the agent's opens failed: {out}")
    ev = w.events
    own = [e for e in of_type(ev, "file.open") if e["pid"] == pid]
    seen = [(e["syscall"], e["path"], e["flags"], e["result"], e.get("read_at_exit"),
             e.get("path_unreadable")) for e in own][-6:]
    late = [e for e in own if e.get("read_at_exit") and e["path"] == tmp and e["result"] >= 0
            and not e.get("path_unreadable")]
    check([e for e in late if e["syscall"] == "openat" and e["flags"] == ["O_RDONLY"]],
          f"the openat of {tmp} from an unmapped page not seen by its path: {seen}")
    check([e for e in late if e["syscall"] == "openat2" and e["flags"] == ["O_WRONLY", "O_APPEND"]],
          f"the openat2 of {tmp} for writing, its open_how unmapped, not seen as such: {seen}")
    bad = [e for e in own if e["result"] == -14]
    check(len(bad) == 1 and bad[0]["path"] == "" and bad[0].get("path_unreadable")
          and not bad[0].get("read_at_exit"), f"the EFAULT open: {bad}")
    stats = [e for e in ev if e["type"] == "agent.stats"][-1]["counters"]
    check(stats["file_open_late_reads"] >= 2 and stats["read_fault"] >= 1, f"counters: {stats}")


def t_resolved_paths():
    """Each open of a member gives the file it opened, from the process's root: a relative
    path (to the working directory, to a dirfd), "..", a symlink, a path into another mount
    (/proc/self is a symlink too), a chroot (the process's own root), and a path too deep for
    the record (its tail, flagged). A failed open of a relative path gives where it pointed:
    the path joined as text to its directory (the cwd's, a dirfd's), flagged so; a failed
    absolute one nothing more. A member's exec gives its working directory; an exec in no
    session does not."""
    m = marker()
    tmp = secret_file(m)
    base = os.path.dirname(tmp)
    link = os.path.join(base, f"link-{m}")
    os.symlink(tmp, link)
    jail = os.path.join(base, f"jail-{m}")
    os.makedirs(os.path.join(jail, "etc"))
    with open(os.path.join(jail, "etc", "inside"), "w") as f:
        f.write("in the jail\n")
    deep = os.path.join(base, *([f"deep-{m}"] * 20))  # 20 x 19 bytes: past the record's 255
    os.makedirs(deep)
    with open(os.path.join(deep, "leaf.txt"), "w") as f:
        f.write("leaf\n")
    w, pid, out, sid, outsider = named_agent(
        m, "#!/usr/bin/python3\n"
                "import os, sys\n"
                f"base, name, link, jail, deep = {base!r}, {os.path.basename(tmp)!r}, {link!r}, "
                f"{jail!r}, {deep!r}\n"
                "os.chdir(base)\n"
                "os.close(os.open(name, os.O_RDONLY))                      # relative to the cwd\n"
                "dfd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)\n"
                "os.close(os.open(name, os.O_RDONLY, dir_fd=dfd))          # relative to a dirfd\n"
                "os.close(os.open(os.path.join(os.path.basename(jail), '..', name), os.O_RDONLY))\n"
                "os.close(os.open(link, os.O_RDONLY))                      # a symlink\n"
                "os.close(os.open('/proc/self/status', os.O_RDONLY))       # another mount\n"
                "for p, d in (('no-such-file-' + name, None), ('../no-such-dir/x-' + name, dfd),\n"
                "             ('/no-such-file-' + name, None)):\n"
                "    try:\n"
                "        os.open(p, os.O_RDONLY, dir_fd=d)                  # failed\n"
                "    except FileNotFoundError:\n"
                "        pass\n"
                "os.chdir(deep)\n"
                "os.close(os.open('leaf.txt', os.O_RDONLY))                # too deep\n"
                "os.chdir(base)\n"
                "os.spawnv(os.P_WAIT, '/bin/true', ['true', 'in-base'])     # an exec's cwd\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    os.chroot(jail)\n"
                "    os.chdir('/')\n"
                "    os.close(os.open('/etc/inside', os.O_RDONLY))          # from its own root\n"
                "    os._exit(0)\n"
                "_, st = os.waitpid(pid, 0)\n"
                "print('done', os.getpid(), st, flush=True)\n",
        then=lambda: h.run(["true", "outside"], cwd=base)[0])
    check("done" in out and out.split()[-1] == "0", f"the agent's chrooted child failed: {out}")
    ev = w.events
    opens = [e for e in of_type(ev, "file.open") if e.get("session") == sid]
    seen = [(e["pid"], e["path"], e.get("resolved_path"), e.get("resolved_path_cut"))
            for e in opens][-14:]

    def want(path, resolved, who=pid):
        got = [e for e in opens if e["pid"] == who and e["path"] == path]
        check(got and got[-1].get("resolved_path") == resolved
              and not got[-1].get("resolved_path_cut"),
              f"open of {path!r}: want resolved_path {resolved!r}, events {seen}")

    name = os.path.basename(tmp)
    want(name, tmp)  # the cwd, and the dirfd (both pass the bare name)
    check(len([e for e in opens if e["path"] == name and e.get("resolved_path") == tmp]) == 2,
          f"want two opens of {name!r} resolved, {seen}")
    want(os.path.join(os.path.basename(jail), "..", name), tmp)
    want(link, tmp)
    want("/proc/self/status", f"/proc/{pid}/status")
    failed = {e["path"]: e for e in opens if e["result"] == -2}
    for path, where in (("no-such-file-" + name, os.path.join(base, "no-such-file-" + name)),
                        ("../no-such-dir/x-" + name,
                         os.path.join(os.path.dirname(base), "no-such-dir", "x-" + name))):
        e = failed.get(path)
        check(e and e.get("resolved_path") == where and e.get("resolved_path_lexical"),
              f"the failed open of {path!r}: want {where!r}: {e}")
    e = failed.get("/no-such-file-" + name)
    check(e and "resolved_path" not in e, f"the failed absolute open: {e}")
    check(not [e for e in opens if e["result"] >= 0 and e.get("resolved_path_lexical")],
          f"an open that opened a file resolved as text: {seen}")
    leaf = [e for e in opens if e["path"] == "leaf.txt"]
    want_tail = os.path.join(deep, "leaf.txt")
    check(leaf and leaf[0].get("resolved_path_cut") and want_tail.endswith(leaf[0]["resolved_path"])
          and len(leaf[0]["resolved_path"]) > 200, f"the deep open: {leaf}, want a tail of {want_tail}")
    jailed = [e for e in opens if e["path"] == "/etc/inside"]
    check(jailed and jailed[0]["pid"] != pid and jailed[0].get("resolved_path") == "/etc/inside",
          f"the chrooted open, from its own root: {jailed}")
    execs = [e for e in of_type(ev, "process.exec") if e["argv"][1:] == ["in-base"]]
    check(execs and execs[0].get("session") == sid and execs[0].get("cwd") == base,
          f"the member's exec, want cwd {base}: {execs}")
    execs = [e for e in of_type(ev, "process.exec") if e["pid"] == outsider]
    check(execs and "cwd" not in execs[0] and "session" not in execs[0],
          f"an exec in no session has no cwd: {execs}")
    # The analyst's view: the path as passed, and the file it named.
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--db", w.out + ".db"])
    check(rc == 0 and f"open /proc/self/status -> /proc/{pid}/status" in tl
          and f"open {name} -> {tmp[:20]}" in tl,  # long lines are shortened
          f"warden timeline ({rc}) lacks the resolved opens: {err} {tl[-1500:]}")


def t_io_uring_ops():
    """A member's tool that works through io_uring, out of reach of the openat() and connect()
    hooks: it opens a secret, connects over TCP and to a UNIX socket, makes, renames and
    removes a directory, symlinks and hard-links the secret. Each request is reported with
    the paths and the address the kernel took in; the same program in no session reports
    nothing."""
    m = marker()
    tmp = secret_file(m)
    ops = os.path.join(ROOT, "build", "tests", "uring_ops")
    twin = os.path.join(d.TMP, f"uring-twin-{m}")
    shutil.copy(ops, twin)
    work, twin_work = (os.path.join(d.TMP, f"uring-{m}-{n}") for n in ("agent", "twin"))
    for w in (work, twin_work):
        os.mkdir(w)
    unix_path = os.path.join(work, "u.sock")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    usrv = socket.socket(socket.AF_UNIX)
    usrv.bind(unix_path)
    usrv.listen()
    port = srv.getsockname()[1]
    try:
        with h.Wardend("--agent", "uring_ops", raw_tls=False) as w:
            # From its work directory, with relative paths: as the kernel took them in.
            pid, rc, out, err = h.run([ops, tmp, str(port), ".", unix_path], cwd=work)
            check(rc == 0 and out.startswith("openat "), f"uring_ops failed ({rc}): {out} {err}")
            words = out.split()
            res = dict(zip(words[::2], map(int, words[1::2])))
            fds = [k for k in res if k == "openat" or k.startswith("accept")]
            check(all(res[k] >= 0 for k in fds)
                  and all(v == 0 for k, v in res.items() if k not in fds and k != "lport"),
                  f"io_uring requests failed: {out}")
            tpid, rc, out, err = h.run([twin, tmp, str(port), ".", unix_path], cwd=twin_work)
            check(rc == 0, f"the twin failed ({rc}): {out} {err}")
    finally:
        srv.close()
        usrv.close()
    ev = w.events
    starts = [e for e in of_type(ev, "session.start") if e["pid"] == pid]
    check(starts, f"no session for uring_ops {pid}")
    sid = starts[0]["id"]
    subs = {e["user_data"]: e for e in of_type(ev, "io_uring.submit") if e["pid"] == pid}

    def sub(tag, op):
        e = subs.get(int.from_bytes(tag.encode(), "big"))
        check(e and e["op"] == op and e["session"] == sid, f"no io_uring {op} ({tag}): {subs}")
        return e

    o = sub("open", "openat")
    check(o["path"] == tmp and "O_CLOEXEC" in o["flags"] and o["dirfd"] == -100,
          f"the io_uring openat: {o}")
    c = sub("conn", "connect")
    check(c.get("daddr") == "127.0.0.1" and c.get("dport") == port, f"the io_uring connect: {c}")
    u = sub("unix", "connect")
    check(u["family"] == "unix" and u.get("path") == unix_path, f"the AF_UNIX connect: {u}")
    dd, ee = "./d", "./e"
    mk = sub("mkdi", "mkdirat")
    check(mk["path"] == dd and mk["mode"] == 0o750 and mk["dirfd"] == -100, f"mkdirat: {mk}")
    rn = sub("rena", "renameat")
    check(rn["path"] == dd and rn["new_path"] == ee and rn["new_dirfd"] == -100
          and rn["flags"] == ["RENAME_NOREPLACE"], f"renameat: {rn}")
    sl = sub("syml", "symlinkat")
    check(sl["path"] == "./link" and sl["target"] == tmp, f"symlinkat: {sl}")
    ln = sub("link", "linkat")
    check(ln["path"] == tmp and ln["new_path"] == "./hard"
          and ln["flags"] == [], f"linkat: {ln}")
    ul = sub("unln", "unlinkat")
    check(ul["path"] == "./link" and ul["flags"] == [], f"unlinkat: {ul}")
    rd = sub("rmdi", "unlinkat")
    check(rd["path"] == ee and rd["flags"] == ["AT_REMOVEDIR"], f"unlinkat a directory: {rd}")
    # Relative paths joined to the directory the kernel walked at submission, as file.* do.
    at = lambda n: os.path.join(work, n)
    walked = [(mk.get("resolved_path"), at("d")), (rn.get("resolved_path"), at("d")),
              (rn.get("new_resolved_path"), at("e")), (sl.get("resolved_path"), at("link")),
              (ul.get("resolved_path"), at("link")), (rd.get("resolved_path"), at("e")),
              # linkat from an absolute path: the new path's directory is the one walked
              (ln.get("new_resolved_path"), at("hard")), (ln.get("resolved_path"), None),
              (o.get("resolved_path"), None)]
    check(all(got == want for got, want in walked), f"resolved paths (got, want): {walked}")
    check(not [e for e in of_type(ev, "file.open") if e["pid"] == pid and e["path"] == tmp],
          "the openat hook saw the io_uring open: the test no longer tests io_uring")
    check(not [e for e in ev if e.get("pid") == tpid and e["type"] == "io_uring.submit"],
          "io_uring requests reported for a process in no session")
    # The connections it took in: through io_uring, at each accept's completion (at
    # submission, by the poll's task work, on an io-wq worker, twice from one multishot
    # accept), and through accept4(2), a plain syscall. Each net.accept, in the session,
    # with both ends.
    # Its listener as a registered file has no fd (-1); a connection put in the ring's
    # file table (direct_slot) has none either, and stays io_uring.submit's.
    acc = {e["conn_fd"]: e for e in of_type(ev, "net.accept") if e["pid"] == pid}
    want = {res[k]: k for k in res if k.startswith("accept")}
    check(set(acc) == set(want), f"net.accept conn_fds {sorted(acc)}, want {want} ({out})")
    for fd, k in want.items():
        a = acc[fd]
        first = k not in ("accept_fixed", "accept4")  # the first listener's
        check(a["session"] == sid and a["io_uring"] == (k != "accept4")
              and a["laddr"] == "127.0.0.1" and a["raddr"] == "127.0.0.1" and a["rport"] > 0
              and (a["lport"] == res["lport"]) == first
              and (a["fd"] == -1) == (k == "accept_fixed"),
              f"the member's {k}: {a} ({out})")
    sub("acfx", "accept")
    sub("acdi", "accept")
    check(not [e for e in ev if e.get("pid") == tpid and e["type"] == "net.accept"],
          "net.accept reported for a process in no session")
    stats = [e for e in ev if e["type"] == "agent.stats"][-1]
    check(stats["drops"].get("io_uring") == 0, f"drops: {stats['drops']}")
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--db", w.out + ".db"])
    check(rc == 0 and f"renameat {dd} -> {ee}" in tl
          and f"symlinkat ./link -> {tmp[:20]}" in tl,
          f"warden timeline ({rc}) lacks the io_uring paths: {err} {tl[-1500:]}")


def t_member_listen():
    """A member's tool that opens a port to the network (a bind shell's first step): its
    net.listen is in the session and in the timeline. The connections it takes in are
    net.accept, with both ends (accept4 for a TCP one, the old accept for a UNIX one, which
    gives its family alone); the same taken in by a process in no session gives nothing."""
    m = marker()
    upath = os.path.join(d.TMP, f"accept-{m}.sock")

    def outsider():  # this test's own process: in no session
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        cl = socket.create_connection(ls.getsockname())
        conn, _ = ls.accept()
        for x in (conn, cl, ls):
            x.close()
        return os.getpid()

    w, pid, out, sid, me = named_agent(
        m, "#!/usr/bin/python3\n"
           "import ctypes, socket\n"
           "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
           "c = socket.create_connection(s.getsockname())\n"
           "a, peer = s.accept()                            # accept4(2)\n"
           "u = socket.socket(socket.AF_UNIX)\n"
           f"u.bind({upath!r}); u.listen(1)\n"
           "uc = socket.socket(socket.AF_UNIX)\n"
           f"uc.connect({upath!r})\n"
           "ufd = ctypes.CDLL(None).accept(u.fileno(), None, None)  # accept(2)\n"
           "print('port', s.getsockname()[1], 'peer', peer[1], 'fds', s.fileno(), a.fileno(),"
           " u.fileno(), ufd, flush=True)\n",
        then=outsider)
    f = out.split()
    port, peer, lfd, afd, ufd, uafd = (int(x) for x in (f[1], f[3], f[5], f[6], f[7], f[8]))
    ls = [e for e in of_type(w.events, "net.listen") if e.get("lport") == port]
    check(ls and ls[0]["pid"] == pid and ls[0]["session"] == sid and ls[0]["result"] == 0,
          f"the member's listen on {port}: {ls}")
    acc = [e for e in of_type(w.events, "net.accept") if e.get("session") == sid]
    tcp = [e for e in acc if e.get("lport") == port]
    check(len(tcp) == 1 and tcp[0]["raddr"] == "127.0.0.1" and tcp[0]["rport"] == peer
          and tcp[0]["laddr"] == "127.0.0.1" and tcp[0]["fd"] == lfd
          and tcp[0]["conn_fd"] == afd and tcp[0]["family"] == "inet",
          f"the member's accept4 on {port}: {acc}")
    unix = [e for e in acc if e["family"] == "unix"]
    check(len(unix) == 1 and unix[0]["fd"] == ufd and unix[0]["conn_fd"] == uafd
          and "raddr" not in unix[0], f"the member's accept of a UNIX connection: {acc}")
    check(not [e for e in of_type(w.events, "net.accept") if e["pid"] == me],
          "an accept by a process in no session was reported")
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--db", w.out + ".db"])
    check(rc == 0 and f"listen 127.0.0.1:{port}" in tl
          and f"accept 127.0.0.1:{peer} -> 127.0.0.1:{port}" in tl,
          f"warden timeline ({rc}): {err} {tl[-800:]}")


def t_file_changes():
    """What a member's tool does to the file tree through its own syscalls, no rm or mv run:
    mkdir, chmod, rename, symlink, link, unlink, a failed unlink, and what an rm -rf it runs
    does; the old syscalls (glibc's unlink(), rename()...) and the *at ones through a dirfd.
    Each gives its paths, the directory-joined path for a relative one, its mode or flags and
    its result. chown, lchown, fchownat and fchown give the owner and group set, truncate
    and truncate(1)'s ftruncate the length, and fchmod, fchown and ftruncate, which name no
    path, the fd's own file; fchmodat2 where the kernel has it.
    mv into a directory renames relative to that directory's fd: the new path is joined to it.
    A process in no session that removes a file gives nothing."""
    m = marker()
    work = os.path.join(d.TMP, f"changes-{m}")
    os.mkdir(work)
    outside = os.path.join(d.TMP, f"outside-{m}")
    open(outside, "w").close()
    w, pid, out, sid, tpid = named_agent(
        m, "#!/usr/bin/python3\n"
                "import os, subprocess\n"
                f"os.chdir({work!r})\n"
                "os.mkdir('d', 0o750)\n"
                "open('d/f', 'w').close()\n"
                "os.chmod('d/f', 0o755)\n"
                "os.rename('d/f', 'd/g')                       # rename(2)\n"
                "os.symlink('/etc/passwd', 'd/l')\n"
                "dfd = os.open('d', os.O_RDONLY | os.O_DIRECTORY)\n"
                "os.link('g', 'h', src_dir_fd=dfd, dst_dir_fd=dfd)   # linkat(2)\n"
                "os.rename('h', '../h2', src_dir_fd=dfd, dst_dir_fd=dfd)  # renameat(2)\n"
                "os.chown('d/g', -1, os.getgid())              # chown(2): the group only\n"
                "os.chown('d/l', 0, 0, follow_symlinks=False)  # lchown(2)\n"
                "os.chown('g', 0, 0, dir_fd=dfd)               # fchownat(2)\n"
                "fd = os.open('d/g', os.O_RDONLY)\n"
                "os.fchmod(fd, 0o700)                          # fchmod(2): no path\n"
                "os.fchown(fd, 0, -1)                          # fchown(2): the owner only\n"
                "import ctypes\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "# fchmodat2(2) (Linux 6.6; 452 on every architecture), which glibc 2.39's lchmod calls\n"
                "rc = libc.syscall(452, dfd, b'g', 0o640, 0x100)\n"
                "print('fds', dfd, fd, 'fchmodat2', rc, ctypes.get_errno(), flush=True)\n"
                "os.close(fd)\n"
                "os.truncate('d/g', 5)                         # truncate(2)\n"
                "subprocess.run(['truncate', '-s', '0', 'd/g'], check=True)  # ftruncate(2)\n"
                "os.unlink('d/l')                              # unlink(2)\n"
                "try:\n"
                "    os.unlink('../no-such-' + os.path.basename(os.getcwd()))\n"
                "except FileNotFoundError:\n"
                "    pass\n"
                "subprocess.run(['rm', '-rf', 'd'], check=True)  # unlinkat(2), rmdir via AT_REMOVEDIR\n"
                "os.mkdir('e')\n"
                "subprocess.run(['mv', 'h2', 'e/'], check=True)  # renameat2(AT_FDCWD, 'h2', e's fd, 'h2')\n"
                "print('done', flush=True)\n",
        then=lambda: h.run(["rm", outside])[0])
    check("done" in out, f"the agent failed: {out}")
    ev = w.events
    changes = [e for e in ev if e["type"].startswith("file.") and e["type"] != "file.open"]
    seen = [(e["type"], e.get("path", f"fd {e.get('fd')}"), e.get("new_path") or e.get("target"),
             e["result"]) for e in changes]
    mine = [e for e in changes if e.get("session") == sid]

    def one(kind, path, absent=(), **want):
        got = [e for e in mine if e["type"] == kind and e.get("path") == path
               and all(e.get(k) == v for k, v in want.items())]
        check(len(got) == 1 and got[0]["result"] == 0 and not [k for k in absent if k in got[0]],
              f"{kind} of {path!r}, want {want}, none of {absent}: {seen} {got}")
        return got[0]

    dd = os.path.join(work, "d")
    one("file.mkdir", "d", resolved_path=dd, mode=0o750, dirfd=-100)
    one("file.chmod", "d/f", resolved_path=os.path.join(dd, "f"), mode=0o755)
    one("file.rename", "d/f", new_path="d/g", new_resolved_path=os.path.join(dd, "g"), flags=[])
    one("file.symlink", "d/l", target="/etc/passwd", resolved_path=os.path.join(dd, "l"))
    ln = one("file.link", "g", new_path="h", resolved_path=os.path.join(dd, "g"),
             new_resolved_path=os.path.join(dd, "h"))
    check(ln["dirfd"] >= 0 and ln["new_dirfd"] == ln["dirfd"], f"linkat's dirfds: {ln}")
    one("file.rename", "h", new_path="../h2", new_resolved_path=os.path.join(work, "h2"))
    one("file.unlink", "d/l", resolved_path=os.path.join(dd, "l"))
    fds = [l.split() for l in out.splitlines() if l.startswith("fds ")]
    check(fds, f"the agent's fds: {out}")
    dfd, fd, rc2 = int(fds[0][1]), int(fds[0][2]), int(fds[0][4])
    g = os.path.join(dd, "g")
    one("file.chown", "d/g", absent=("owner",), resolved_path=g, dirfd=-100, group=os.getgid())
    one("file.chown", "d/l", resolved_path=os.path.join(dd, "l"), owner=0, group=0,
        flags=["AT_SYMLINK_NOFOLLOW"])
    one("file.chown", "g", resolved_path=g, dirfd=dfd, owner=0, group=0, flags=[])
    # No path: the fd, and its file's own path walked by the kernel.
    one("file.chmod", None, absent=("dirfd",), fd=fd, resolved_path=g, mode=0o700,
        flags=["AT_EMPTY_PATH"])
    one("file.chown", None, absent=("group", "dirfd"), fd=fd, resolved_path=g, owner=0,
        flags=["AT_EMPTY_PATH"])
    one("file.truncate", "d/g", resolved_path=g, dirfd=-100, length=5)
    one("file.truncate", None, absent=("dirfd",), comm="truncate", resolved_path=g, length=0)
    if os.path.exists("/sys/kernel/tracing/events/syscalls/sys_exit_fchmodat2"):
        check(rc2 == 0, f"fchmodat2 failed here: {out}")
        one("file.chmod", "g", resolved_path=g, dirfd=dfd, mode=0o640,
            flags=["AT_SYMLINK_NOFOLLOW"])
    else:
        print("  (no fchmodat2 in this kernel: not checked)", flush=True)
    failed = [e for e in mine if e["type"] == "file.unlink" and e["path"].startswith("../no-such-")]
    check(failed and failed[0]["result"] == -2 and failed[0]["error"] == "ENOENT"
          and failed[0]["resolved_path"] == os.path.join(d.TMP, failed[0]["path"][3:]),
          f"the failed unlink: {failed}")
    rm = [e for e in mine if e["comm"] == "rm"]
    check([e for e in rm if e["type"] == "file.unlink" and e["path"] == "g"]
          and [e for e in rm if e["type"] == "file.rmdir" and e.get("resolved_path") == dd],
          f"rm -rf's unlinkat calls: {[(e['type'], e.get('path')) for e in rm]}")
    # mv into a directory: the new path is relative to that directory's fd, walked too.
    mv = [e for e in mine if e["comm"] == "mv" and e["type"] == "file.rename" and e["result"] == 0]
    check(mv and mv[0]["path"] == "h2" and mv[0]["new_path"] == "h2" and mv[0]["new_dirfd"] >= 0
          and mv[0].get("resolved_path") == os.path.join(work, "h2")
          and mv[0].get("new_resolved_path") == os.path.join(work, "e", "h2"),
          f"mv h2 e/: {mv}")
    check(not [e for e in changes if e["pid"] == tpid], f"a change outside any session: {seen}")
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--db", w.out + ".db"])
    print("  timeline:\n" + "\n".join("    " + l for l in tl.splitlines()[-16:]), flush=True)
    check(rc == 0 and "chmod 0755 " in tl and "mkdir 0750 " in tl and "rmdir " in tl
          and f"chown 0:- {g}" in tl and f"chown -:{os.getgid()} {g}" in tl
          and "truncate 0 bytes " in tl,
          f"warden timeline ({rc}): {err} {tl[-1500:]}")


def t_candidate_not_agent():
    """--agent NAME matches in the kernel by comm, NAME's first 15 bytes: a program whose
    name only begins so is traced from its exec until wardend reads the exec and finds the
    whole name differs. What it did meanwhile (here: all of it, wardend stopped) is dropped,
    not printed, and counted: its opens, its io_uring requests and the connection it takes
    in, each under its own name."""
    m = marker()
    tmp = secret_file(m)
    name = "uringcandidateAA"  # 16 bytes: comm keeps 15
    prog = os.path.join(d.TMP, name[:15] + "B")
    shutil.copy(os.path.join(ROOT, "build", "tests", "uring_ops"), prog)
    work = os.path.join(d.TMP, f"candidate-{m}")
    os.mkdir(work)
    unix_path = os.path.join(work, "u.sock")
    srv, usrv = socket.socket(), socket.socket(socket.AF_UNIX)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    usrv.bind(unix_path)
    usrv.listen()
    try:
        with h.Wardend("--agent", name, raw_tls=False) as w:
            # Stopped, wardend reads the exec only once the program is done.
            w.proc.send_signal(signal.SIGSTOP)
            try:
                pid, rc, out, err = h.run([prog, tmp, str(srv.getsockname()[1]), ".", unix_path],
                                          cwd=work)
            finally:
                w.proc.send_signal(signal.SIGCONT)
            check(rc == 0 and out.startswith("openat "), f"{prog} failed ({rc}): {out} {err}")
    finally:
        srv.close()
        usrv.close()
    ev = w.events
    execs = [e for e in of_type(ev, "process.exec") if e["pid"] == pid]
    check(execs and execs[0]["comm"] == name[:15], f"the candidate's exec: {execs}")
    leaked = [e for e in ev if e.get("pid") == pid and e["type"] in
              ("file.open", "io_uring.submit", "net.accept", "session.start")]
    check(not leaked, f"a process that is no agent got: {leaked[:3]}")
    c = [e for e in ev if e["type"] == "agent.stats"][-1]["counters"]
    # Fifteen requests, six of them accepts that take in seven connections, six with an fd
    # (a direct descriptor has none), and one accept4 (uring_ops.c); the loader's opens
    # (ld.so.cache, libc).
    check(c["io_uring_not_in_session"] == 15 and c["file_opens_not_in_session"] >= 2
          and c["accepts_not_in_session"] == 7,
          f"dropped: {c['io_uring_not_in_session']} io_uring, "
          f"{c['file_opens_not_in_session']} opens, {c['accepts_not_in_session']} accepts")


def t_exec_from_thread():
    """A member that execs from a thread other than its main one: the kernel frees the old
    leader (and the entry it carried) and the exec'ing thread takes its pid. The session
    must go on in the new program: its file opens are still in it."""
    m = marker()
    tmp = secret_file(m)
    script = os.path.join(d.TMP, f"thread-exec-{m}.py")
    with open(script, "w") as f:
        f.write("import os, threading, time\n"
                "time.sleep(0.3)  # wardend reads the exec and starts the session\n"
                f"t = threading.Thread(target=os.execv, args=('/bin/cat', ['cat', {tmp!r}]))\n"
                "t.start()\n"
                "time.sleep(10)  # the exec ends this thread's wait\n")
    with h.Wardend("--agent", os.path.basename(script), raw_tls=False) as w:
        pid, rc, out, err = h.run([sys.executable, script])
        check(rc == 0 and f"content-{m}" in out, f"script failed ({rc}): {err}")
    starts = [e for e in of_type(w.events, "session.start") if e["pid"] == pid]
    check(starts, f"no session for {pid}: {of_type(w.events, 'session.start')}")
    execs = [e for e in of_type(w.events, "process.exec") if e["pid"] == pid]
    check(any(e.get("exe", "").endswith("/cat") or "cat" in e.get("comm", "") for e in execs),
          f"the thread's exec of cat not seen: {execs}")
    opens = [e for e in of_type(w.events, "file.open") if e["path"] == tmp]
    check(len(opens) == 1 and opens[0]["pid"] == pid and opens[0]["session"] == starts[0]["id"],
          f"cat's open (after the exec from a thread) not in the session: {opens}")


def t_adopt_running_agent():
    """wardend started after the agent: a running --agent program gets its session at start-up,
    with the child it runs already, and what both do from then on is in it."""
    m = marker()
    tmp = secret_file(m)
    go = os.path.join(d.TMP, f"go-{m}")
    script = os.path.join(d.TMP, f"adopt-{m}.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nsleep 1000 &\nchild=$!\necho $child\n"
                f"while [ ! -e {go} ]; do sleep 0.05; done\ncat {tmp}\nkill $child\nwait\n")
    os.chmod(script, 0o755)
    agent = subprocess.Popen([script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = int(agent.stdout.readline())
    try:
        with h.Wardend("--agent", os.path.basename(script), raw_tls=False) as w:
            open(go, "w").close()
            out, err = agent.communicate(timeout=30)
            check(agent.returncode == 0 and f"content-{m}" in out, f"agent failed: {err}")
    finally:
        if agent.poll() is None:
            agent.kill()
    ev = w.events
    starts = [e for e in of_type(ev, "session.start") if e["pid"] == agent.pid]
    check(starts and starts[0]["agent"] == os.path.basename(script),
          f"no session adopted for the running agent {agent.pid}: {of_type(ev, 'session.start')}")
    sid = starts[0]["id"]
    cats = [e for e in of_type(ev, "file.open") if e["path"] == tmp]
    check(cats and cats[0]["session"] == sid, f"the agent's cat is not in its session: {cats}")
    exits = [e for e in of_type(ev, "process.exit") if e["pid"] in (child, agent.pid)]
    check({e["pid"] for e in exits} == {child, agent.pid} and all(e.get("session") == sid for e in exits),
          f"the running child {child} and the agent must end in session {sid}: {exits}")
    ends = [e for e in of_type(ev, "session.end") if e.get("session") == sid]
    check(ends, f"session {sid} did not end with its processes")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def t_thousand_sessions():
    n = 1000
    with h.Wardend(raw_tls=False) as w:
        before = rss_kb(w.proc.pid)
        r = subprocess.run([h.PY, os.path.join(ROOT, "tools", "sessions_gen.py"), "--url",
                            f"https://127.0.0.1:{d.MOCK['port']}", "--count", str(n),
                            "--concurrency", "50"], capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"generator failed: {r.stdout} {r.stderr[-800:]}")
        time.sleep(1.0)
        after = rss_kb(w.proc.pid)
        print(f"  {r.stdout.strip()}; wardend VmRSS {before} kB before, {after} kB after "
              f"{n} sessions", flush=True)
    curl_starts = [e for e in of_type(w.events, "session.start") if e["comm"] == "curl"]
    sids = {e["id"] for e in curl_starts}
    ends = [e for e in of_type(w.events, "session.end") if e["session"] in sids]
    stats = of_type(w.events, "agent.stats")
    drops = stats[-1]["drops"] if stats else {}
    check(len(curl_starts) == n, f"want {n} session.start, got {len(curl_starts)} (drops {drops})")
    check(len(ends) == n, f"want {n} session.end, got {len(ends)} (drops {drops})")
    counters = stats[-1]["counters"] if stats else {}
    check(counters.get("sessions_full") == 0 and counters.get("session_members_full") == 0,
          f"tables full: {counters}")
    # Recorded: the store has every one of them, ended.
    _, rc, out, err = h.run([h.WARDEN, "sessions", "--json", "--db", w.out + ".db"])
    check(rc == 0, f"warden sessions failed: {err}")
    stored = [json.loads(l) for l in out.splitlines()]
    stored_ids = {s["id"] for s in stored}
    check(sids <= stored_ids, f"{len(sids - stored_ids)} sessions missing from the store")


def t_restart_keeps_sessions():
    """Sessions and events of an earlier run are still in the store after a restart."""
    db = os.path.join(d.TMP, f"restart-{marker()}.db")
    m = marker()
    with h.Wardend("--db", db, raw_tls=False) as w1:
        pid, rc, out, err = h.run(agent_argv("anthropic", f"RUN: echo first-{m}"), env=d.agent_env(),
                                  timeout=120)
        check(rc == 0, f"agent failed: {err[-800:]}")
    first = [e for e in of_type(w1.events, "session.start") if e["pid"] == pid]
    check(first, f"no session in the first run: {d.brief(w1.events, pid)}")
    sid = first[0]["id"]
    with h.Wardend("--db", db, raw_tls=False) as w2:
        _, rc, out, err = h.run([h.WARDEN, "sessions", "--json", "--db", db])
    check(rc == 0, f"warden sessions failed: {err}")
    listed = {json.loads(l)["id"]: json.loads(l) for l in out.splitlines()}
    check(sid in listed, f"session {sid} of the first run not listed after restart: {list(listed)}")
    check(min(e["id"] for e in w2.events) > max(e["id"] for e in w1.events),
          "ids of the second run do not follow the first's")
    _, rc, tl, err = h.run([h.WARDEN, "timeline", str(sid), "--db", db])
    check(rc == 0 and f"first-{m}" in tl, f"timeline of the earlier session: {rc} {err} {tl[:800]}")
    _, rc, ev, err = h.run([h.WARDEN, "events", "--session", str(sid), "--type", "llm.response",
                            "--json", "--db", db])
    check(rc == 0 and ev.strip(), f"warden events after restart: {rc} {err}")
    _, rc, out, err = h.run([h.WARDEN, "verify", "--db", db])
    check(rc == 0 and out.startswith("ok"), f"verify after restart: {rc} {out} {err}")


TESTS = [t_tool_call_causes, t_two_agents_no_crossing, t_no_session_no_file_open,
         t_named_agent, t_named_agent_at_exec, t_open_args_not_paged_in, t_resolved_paths, t_io_uring_ops, t_member_listen, t_file_changes,
         t_candidate_not_agent,
         t_exec_from_thread, t_adopt_running_agent, t_restart_keeps_sessions, t_thousand_sessions]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardend", default=h.WARDEND)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    h.WARDEND = os.path.abspath(a.wardend)
    if os.geteuid() != 0:
        sys.exit("e2e: must run as root (wardend loads eBPF programs)")
    procs = d.start_fixtures()

    def stop_fixtures():
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait()

    h.run_tests(TESTS, a.k, (d.TMP, h.TMP), (stop_fixtures,))


if __name__ == "__main__":
    main()
