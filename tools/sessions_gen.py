#!/usr/bin/env python3
"""Start many short agent sessions at once, for Warden's session tests.

    tools/sessions_gen.py --url https://127.0.0.1:PORT [--count 1000] [--concurrency 50]
                          [--client curl|python]

Each session is one small client process that sends one chat request (an
LLM API call, so Warden starts a session for it) and exits (so the session
ends). At most --concurrency run at a time. Certificates are not checked.
Prints 'sessions_gen: N ok, M failed, T s' on stdout; exits 1 if any failed.
"""
import argparse, json, subprocess, sys, time

PY_CLIENT = r"""
import http.client, json, ssl, sys
host, port, i = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "gen " + i}]})
c = http.client.HTTPSConnection(host, port, context=ssl._create_unverified_context())
c.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
r = c.getresponse()
r.read()
sys.exit(0 if r.status == 200 else 1)
"""


def argv_for(a, i):
    if a.client == "python":
        host, port = a.url.split("//", 1)[1].rsplit(":", 1)
        return [sys.executable, "-c", PY_CLIENT, host, port, str(i)]
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"gen {i}"}]})
    return ["curl", "-sSk", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-H",
            "content-type: application/json", "-d", body, a.url + "/v1/chat/completions"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--client", choices=("curl", "python"), default="curl")
    a = ap.parse_args()
    t0 = time.time()
    running, ok, failed, started = [], 0, 0, 0
    while started < a.count or running:
        while started < a.count and len(running) < a.concurrency:
            running.append(subprocess.Popen(argv_for(a, started), stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL))
            started += 1
        still = []
        for p in running:
            if p.poll() is None:
                still.append(p)
                continue
            out = p.stdout.read().decode(errors="replace")
            p.stdout.close()
            good = p.returncode == 0 and (a.client == "python" or out.strip() == "200")
            ok += good
            failed += not good
        running = still
        time.sleep(0.005)
    print(f"sessions_gen: {ok} ok, {failed} failed, {time.time() - t0:.1f} s", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
