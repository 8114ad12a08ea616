#!/usr/bin/env python3
"""End-to-end tests of traffic decoding: real SDKs, real TLS, real eBPF.

Run as root from the repository root:
    /usr/bin/python3 tests/e2e/decode_test.py [--wardend build/wardend] [-k NAME]
The official openai and @anthropic-ai/sdk packages (installed by
tools/npm-setup.sh into build/npm) run an agent loop against tools/mock-llm
over HTTPS on 127.0.0.1; curl speaks HTTP/2 and gzip to it; a local DNS
responder names it. wardend must turn the captured plaintext into
llm.request / llm.response events with the exact model, prompt, tool call
and arguments. Prints PASS/FAIL per test and 'e2e: N passed, M failed' last.
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sensor_test as h  # noqa: E402  (Wardend, check, run)

ROOT = h.ROOT
PY = h.PY
NPM_DIR = os.path.join(ROOT, "build", "npm")
AGENTS = os.path.join(ROOT, "tests", "e2e", "agents")
TMP = tempfile.mkdtemp(prefix="warden-decode-")
check, Fail, run = h.check, h.Fail, h.run


def Wardend(*extra):
    """wardend as users run it: decoded events, no raw TLS chunks."""
    return h.Wardend(*extra, raw_tls=False)
MOCK = {}  # port, cert, pid
DNS_ADDR = "127.0.0.9"
LLM_NAME = "llm-e2e.test"


def marker():
    return "m" + uuid.uuid4().hex[:12]


def of_type(events, typ, pid=None):
    return [e for e in events if e["type"] == typ and (pid is None or e["pid"] == pid)]


def brief(events, pid=None):
    return h.summary(events, pid)


def agent_env():
    return dict(os.environ, NODE_EXTRA_CA_CERTS=MOCK["cert"], OPENAI_API_KEY="test-key",
                ANTHROPIC_API_KEY="test-key")


def run_agent(sdk, stream, prompt, model, api=None):
    script = os.path.join(AGENTS, f"{sdk}_agent.mjs")
    base = f"https://127.0.0.1:{MOCK['port']}" + ("/v1" if sdk == "openai" else "")
    argv = ["node", script, "--sdk-dir", NPM_DIR, "--base-url", base, "--model", model,
            "--prompt", prompt, "--stream", "1" if stream else "0"]
    if api:
        argv += ["--api", api]
    pid, rc, out, err = run(argv, env=agent_env(), timeout=120)
    check(rc == 0, f"{sdk} agent failed ({rc}): {err[-1500:]}")
    return pid, out


def check_agent_events(events, pid, model, prompt, cmd, stream, provider):
    reqs = of_type(events, "llm.request", pid)
    check(len(reqs) >= 2, f"want 2 llm.request of pid {pid} (prompt, tool result), got "
          f"{len(reqs)}: {brief(events, pid)}")
    first = reqs[0]
    check(first["provider"] == provider, f"provider {first['provider']} != {provider}")
    check(first["model"] == model, f"model {first['model']!r} != {model!r}")
    check(first["stream"] == stream, f"stream flag {first['stream']} != {stream}")
    users = [m["text"] for m in first["messages"] if m["role"] == "user"]
    check(prompt in users, f"user prompt {prompt!r} not in {first['messages']}")
    check("run_shell" in first["tools"], f"tool run_shell not offered: {first['tools']}")
    resps = of_type(events, "llm.response", pid)
    by_req = {r.get("request_id"): r for r in resps}
    check(first["id"] in by_req, f"no llm.response names request {first['id']}: "
          f"{[(r.get('request_id'), r.get('complete')) for r in resps]}")
    r = by_req[first["id"]]
    check(r["complete"] is True and r["status"] == 200, f"response not complete/200: {r}")
    check(r["stream"] == stream, f"response stream {r['stream']} != {stream}")
    calls = r["tool_calls"]
    check(len(calls) == 1 and calls[0]["name"] == "run_shell",
          f"want one run_shell tool call, got {calls}")
    check(calls[0]["arguments"] == {"command": cmd},
          f"arguments {calls[0]['arguments']!r} != {{'command': {cmd!r}}}")
    check(calls[0]["id"], f"tool call without id: {calls[0]}")
    # The tool's output goes back in the next request, under the call's id.
    second = reqs[1]
    results = second.get("tool_results", [])
    check(any(cmd.split()[-1] in t.get("content", "") for t in results),
          f"second request lacks the tool result: {second.get('tool_results')}")
    if provider != "gemini":
        check(any(t["tool_call_id"] == calls[0]["id"] for t in results),
              f"tool result ids {[t['tool_call_id'] for t in results]} != {calls[0]['id']}")
    final = by_req.get(second["id"])
    check(final and "Done: " in final.get("text", ""), f"final reply: {final}")
    check(final["latency_ns"] > 0, "latency missing")
    # The mock server's own (server-side) view is not decoded as a second exchange.
    check(not of_type(events, "llm.request", MOCK["pid"]), "server side decoded")


def sdk_test(sdk, stream, api=None):
    m = marker()
    cmd = f"echo agent-{m}"
    prompt = f"Please RUN: {cmd}"
    model = "gpt-4o-mini" if sdk == "openai" else "claude-sonnet-4-5"
    with Wardend() as w:
        pid, out = run_agent(sdk, stream, prompt, model, api)
        check(f"agent-{m}" in out, f"agent output lacks the tool result: {out[-500:]}")
    check_agent_events(w.events, pid, model, prompt, cmd, stream,
                       "openai" if sdk == "openai" else "anthropic")


def t_openai_sdk_nostream():
    sdk_test("openai", False)


def t_openai_sdk_stream():
    sdk_test("openai", True)


def t_anthropic_sdk_nostream():
    sdk_test("anthropic", False)


def t_anthropic_sdk_stream():
    sdk_test("anthropic", True)


def t_openai_responses_api():
    m = marker()
    cmd = f"echo resp-{m}"
    prompt = f"RUN: {cmd}"
    with Wardend() as w:
        pid, out = run_agent("openai", False, prompt, "gpt-4.1", api="responses")
    reqs = of_type(w.events, "llm.request", pid)
    check(reqs and reqs[0]["api"] == "responses" and reqs[0]["model"] == "gpt-4.1",
          f"responses request: {reqs[:1]}")
    resps = [r for r in of_type(w.events, "llm.response", pid) if r["tool_calls"]]
    check(resps and resps[0]["tool_calls"][0]["arguments"] == {"command": cmd},
          f"responses tool call: {[r['tool_calls'] for r in of_type(w.events, 'llm.response', pid)]}")


CHAT_BODY = {"model": "gpt-4o-mini", "stream": False,
             "messages": [{"role": "system", "content": "be brief"},
                          {"role": "user", "content": None}],
             "tools": [{"type": "function", "function": {
                 "name": "run_shell", "parameters": {"type": "object", "properties": {
                     "command": {"type": "string"}}}}}]}


def curl(args, body=None, path="/v1/chat/completions"):
    argv = ["curl", "-sS", "--cacert", MOCK["cert"], *args]
    if body is not None:
        argv += ["-H", "content-type: application/json", "-d", json.dumps(body)]
    argv.append(f"https://127.0.0.1:{MOCK['port']}{path}")
    pid, rc, out, err = run(argv)
    check(rc == 0, f"curl {' '.join(args)} failed ({rc}): {err[-800:]}")
    return pid, out


def curl_chat(flags, stream):
    m = marker()
    body = json.loads(json.dumps(CHAT_BODY))
    body["messages"][1]["content"] = f"RUN: echo h2-{m}"
    body["stream"] = stream
    with Wardend() as w:
        pid, out = curl(flags, body)
    req = of_type(w.events, "llm.request", pid)
    check(len(req) == 1, f"want one llm.request from curl, got {brief(w.events, pid)}")
    return w.events, pid, req[0], m


def t_curl_http2():
    for stream in (False, True):
        events, pid, req, m = curl_chat(["--http2"], stream)
        check(req["http_version"] == "2", f"not decoded as HTTP/2: {req.get('http_version')}")
        check(req["host"] == f"127.0.0.1:{MOCK['port']}", f":authority not decoded: {req.get('host')}")
        check(req["path"] == "/v1/chat/completions", f"path {req.get('path')}")
        check(req["model"] == "gpt-4o-mini" and req["stream"] == stream, f"request: {req}")
        check({"role": "user", "text": f"RUN: echo h2-{m}"} in req["messages"], f"{req['messages']}")
        resp = [r for r in of_type(events, "llm.response", pid) if r["request_id"] == req["id"]]
        check(resp, f"no llm.response for the HTTP/2 request: {brief(events, pid)}")
        r = resp[0]
        check(r["complete"] and r["stream"] == stream, f"response: {r}")
        check(r["tool_calls"] and r["tool_calls"][0]["arguments"] == {"command": f"echo h2-{m}"},
              f"HTTP/2 tool call: {r['tool_calls']}")


def t_gzip_response():
    m = marker()
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"zip {m}"}]}
    with Wardend() as w:
        pid, out = curl(["--http1.1", "--compressed", "-H", "x-mock-gzip: 1", "-D", "-"], body)
    check("content-encoding: gzip" in out.lower(), f"mock did not gzip: {out[:400]}")
    resp = of_type(w.events, "llm.response", pid)
    check(resp, f"no llm.response: {brief(w.events, pid)}")
    check(f"zip {m}" in resp[0]["text"], f"gzip body not decoded: {resp[0].get('text')!r}")


LARGE_CLIENT = r"""
import http.client, json, ssl, sys
port, cert, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
text = "".join(f"line {i:07d} of the long prompt\n" for i in range(size // 30 + 1))[:size]
body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}).encode()
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=cert))
c.putrequest("POST", "/v1/chat/completions")
c.putheader("Content-Type", "application/json")
c.putheader("Content-Length", str(len(body)))
c.endheaders()
for i in range(0, len(body), 4096):  # one SSL_write per piece, as agents stream prompts
    c.send(body[i:i + 4096])
r = c.getresponse()
print(r.status, len(r.read()))
"""


def t_large_prompt_many_writes():
    size = 200 * 1024
    with Wardend() as w:
        pid, rc, out, err = run([PY, "-c", LARGE_CLIENT, str(MOCK["port"]), MOCK["cert"], str(size)])
        check(rc == 0 and out.startswith("200"), f"client failed: {rc} {out} {err[-500:]}")
    writes = len(of_type(w.events, "tls.write"))
    reqs = of_type(w.events, "llm.request", pid)
    check(len(reqs) == 1, f"want one llm.request, got {len(reqs)}: {brief(w.events, pid)}")
    text = reqs[0]["messages"][0]["text"]
    want = "".join(f"line {i:07d} of the long prompt\n" for i in range(size // 30 + 1))[:size]
    check(len(text) == size and text == want and not reqs[0]["messages"][0].get("text_truncated"),
          f"prompt not whole: {len(text)} of {size} bytes")
    check(writes == 0, "raw tls events printed without --raw-tls")


def t_plain_http_request():
    with Wardend() as w:
        pid, out = curl(["--http1.1"], None, path="/no/such/page?q=1")
    reqs = of_type(w.events, "http.request", pid)
    resps = of_type(w.events, "http.response", pid)
    check(reqs and reqs[0]["method"] == "GET" and reqs[0]["path"] == "/no/such/page?q=1",
          f"http.request: {reqs}")
    check(resps and resps[0]["status"] == 404 and resps[0]["request_id"] == reqs[0]["id"],
          f"http.response: {resps}")


def in_resolv_ns(argv):
    """argv with /etc/resolv.conf pointing at the test DNS server (a private mount namespace)."""
    conf = os.path.join(TMP, "resolv.conf")
    with open(conf, "w") as f:
        f.write(f"nameserver {DNS_ADDR}\noptions timeout:2 attempts:2\n")
    script = f'mount --bind {conf} /etc/resolv.conf && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", *argv]


RESOLVE_CONNECT = r"""
import socket, sys
name, port = sys.argv[1], int(sys.argv[2])
ip = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
s = socket.create_connection((ip, port))
print(ip)
s.close()
"""


def t_dns_names_connect():
    with Wardend() as w:
        pid, rc, out, err = run(in_resolv_ns([PY, "-c", RESOLVE_CONNECT, LLM_NAME, str(MOCK["port"])]))
        check(rc == 0 and "127.0.0.1" in out, f"resolve+connect failed: {rc} {out} {err[-500:]}")
    answers = [e for e in of_type(w.events, "dns.answer") if e.get("qname") == LLM_NAME]
    check(answers, f"no dns.answer for {LLM_NAME}: {brief(w.events)}")
    check("127.0.0.1" in answers[0].get("addrs", []), f"answer addrs: {answers[0]}")
    conns = [e for e in of_type(w.events, "net.connect") if e.get("dport") == MOCK["port"]
             and e.get("daddr") == "127.0.0.1"]
    check(conns and conns[0].get("host") == LLM_NAME, f"net.connect lacks host: {conns}")


DNS_CLIENT = r"""
import os, select, socket, struct, sys
addr, name, how = sys.argv[1], sys.argv[2], sys.argv[3]
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
if how in ("read", "recvmsg"):  # connected, as glibc, musl and Go's resolver do
    s.connect((addr, 53))
    s.send(q)
    select.select([s], [], [], 5)  # settimeout made it non-blocking: wait for the reply
    reply = os.read(s.fileno(), 512) if how == "read" else s.recvmsg(512)[0]
else:  # sendto, recvfrom: unconnected; bound to port 0 (any), by number, or not at all
    if how == "bound0":
        s.bind(("127.0.0.1", 0))
    elif how == "boundport":
        p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        p.bind(("127.0.0.1", 0))
        port = p.getsockname()[1]
        p.close()
        s.bind(("127.0.0.1", port))
    elif how == "firstelsewhere":  # its first datagram went to another port
        s.sendto(b"x", ("127.0.0.1", 9))
    s.sendto(q, (addr, 53))
    reply = s.recvfrom(512)[0]
print(len(reply), s.fileno())
"""


def t_dns_receive_paths():
    """A reply is seen however a resolver socket sends and receives, with each set of socket
    I/O hooks: the sock tracepoints see read() (Go's resolver) too, the syscall
    tracepoints recvfrom() and recvmsg() only; the sock tracepoints skip unconnected
    sockets bound to a port by number, a server's, and those whose first datagram went
    elsewhere than port 53 (README)."""
    sock = h.kernel_has_sock_length_tracepoints()
    for mode in ("syscall",) + (("socket",) if sock else ()):
        with Wardend("--io-hooks", mode) as w:
            runs = {}
            for how in ("sendto", "bound0", "boundport", "firstelsewhere", "recvmsg", "read"):
                pid, rc, out, err = run([PY, "-c", DNS_CLIENT, DNS_ADDR, LLM_NAME, how])
                check(rc == 0, f"{mode}/{how}: DNS client failed: {err[-300:]}")
                runs[how] = (pid, int(out.split()[1]))
        for how, (pid, fd) in runs.items():
            answers = [e for e in of_type(w.events, "dns.answer", pid) if e.get("qname") == LLM_NAME]
            if (mode, how) in (("syscall", "read"), ("socket", "boundport"),
                               ("socket", "firstelsewhere")):
                check(not answers, f"{mode}/{how}: an answer where none is promised: {answers}")
                continue
            check(len(answers) == 1, f"{mode}/{how}: want one dns.answer: {brief(w.events, pid)}")
            a = answers[0]
            check("127.0.0.1" in a.get("addrs", []) and a.get("fd") == fd and
                  a.get("server") == DNS_ADDR and a.get("port") == 53,
                  f"{mode}/{how}: answer {a}, fd {fd}")


def t_capture_blind():
    if not shutil.which("gnutls-cli"):
        raise Fail("gnutls-cli missing (tools/deps.sh installs gnutls-bin)")
    req = "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with Wardend("--llm-host", LLM_NAME, "--blind-after", "1") as w:
        p = subprocess.Popen(in_resolv_ns(["gnutls-cli", "--x509cafile", MOCK["cert"],
                                           "--verify-hostname", "127.0.0.1",
                                           "-p", str(MOCK["port"]), LLM_NAME]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(req.encode(), timeout=30)
        # A client Warden reads, to the same host: no blind report for it.
        cpid, rc, cout, cerr = run(in_resolv_ns(["curl", "-sSk",
                                                 "--resolve", f"{LLM_NAME}:{MOCK['port']}:127.0.0.1",
                                                 f"https://{LLM_NAME}:{MOCK['port']}/v1/models"]))
        check(rc == 0, f"curl to {LLM_NAME} failed: {cerr[-300:]}")
        time.sleep(2.5)
    blind = of_type(w.events, "capture.blind")
    gnutls = [e for e in blind if e["comm"].startswith("gnutls")]
    check(gnutls, f"no capture.blind for gnutls-cli (rc {p.returncode}, {err[-300:]!r}): "
          f"{brief(w.events)}")
    check(gnutls[0]["host"] == LLM_NAME and gnutls[0]["rport"] == MOCK["port"], f"{gnutls[0]}")
    check(gnutls[0]["exe"] and "gnutls-cli" in gnutls[0]["exe"], f"exe: {gnutls[0]['exe']}")
    check(not [e for e in blind if e["comm"] == "curl"], f"curl reported blind: {blind}")


MALFORMED_CLIENT = r"""
import socket, ssl, sys
port, cert = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cert)
for req in (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n{}",
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 9\r\n\r\nnot json!"):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    s.sendall(req)
    s.settimeout(3)
    try:
        print(s.recv(4096)[:12])
    except Exception as e:
        print("no answer", e)
    s.close()
"""


def t_malformed_traffic():
    """Broken HTTP and a body that is not the API's shape: clear decode.error events, no crash."""
    with Wardend() as w:
        pid, rc, out, err = run([PY, "-c", MALFORMED_CLIENT, str(MOCK["port"]), MOCK["cert"]])
        check(rc == 0, f"client failed: {err[-500:]}")
    errs = of_type(w.events, "decode.error", pid)
    check(any(e["proto"] == "http1" and e["direction"] == "request" for e in errs),
          f"no http1 decode.error for a bad Content-Length: {errs}")
    check(any(e["proto"] == "llm" and "shape" in e["what"] for e in errs),
          f"no llm decode.error for a non-JSON body: {errs}")
    check(all(e["what"] and e["error"].startswith("E") for e in errs), f"unclear errors: {errs}")


def t_capture_replays_identically():
    """A capture (wardend --capture) replays through tools/replay to the same LLM events."""
    cap = os.path.join(TMP, "agent.cap")
    with Wardend("--capture", cap) as w:
        pid, out = run_agent("anthropic", True, "RUN: echo replayed", "claude-sonnet-4-5")
    live = [e for e in w.events if e["type"].startswith("llm.") and e["pid"] == pid]
    r = subprocess.run([os.path.join(ROOT, "build", "replay"), cap], capture_output=True, text=True)
    check(r.returncode == 0, f"replay failed: {r.stderr[-500:]}")
    replayed = [json.loads(l) for l in r.stdout.splitlines()]
    replayed = [e for e in replayed if e["type"].startswith("llm.") and e["pid"] == pid]
    strip = lambda e: {k: v for k, v in e.items() if k not in ("exe", "ts", "latency_ns")}
    check(len(live) == 4 and [strip(e) for e in live] == [strip(e) for e in replayed],
          f"replay differs: live {len(live)} events, replayed {len(replayed)}")


def t_gemini_ollama_mcp():
    """The other providers through wardend: Gemini SSE, Ollama NDJSON, MCP over SSE."""
    m = marker()
    tools_g = [{"functionDeclarations": [{"name": "run_shell", "parameters": {
        "type": "object", "properties": {"command": {"type": "string"}}}}]}]
    gemini = {"contents": [{"role": "user", "parts": [{"text": f"RUN: echo g-{m}"}]}],
              "systemInstruction": {"parts": [{"text": "be brief"}]}, "tools": tools_g}
    ollama = {"model": "llama3.2", "messages": [{"role": "user", "content": f"RUN: echo o-{m}"}],
              "tools": [{"type": "function", "function": {"name": "run_shell", "parameters": {
                  "type": "object", "properties": {"command": {"type": "string"}}}}}]}
    mcp = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
           "params": {"name": "run_shell", "arguments": {"command": f"echo mcp-{m}"}}}
    with Wardend() as w:
        gp, _ = curl(["--http1.1"], gemini,
                     path="/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
        op, _ = curl(["--http1.1"], ollama, path="/api/chat")
        mp, _ = curl(["--http1.1", "-H", "accept: text/event-stream, application/json"], mcp,
                     path="/mcp")
    g = of_type(w.events, "llm.request", gp)
    check(g and g[0]["provider"] == "gemini" and g[0]["model"] == "gemini-2.0-flash" and
          g[0]["stream"] and g[0]["system"] == "be brief", f"gemini request: {g}")
    gr = of_type(w.events, "llm.response", gp)
    check(gr and gr[0]["tool_calls"] and gr[0]["tool_calls"][0]["arguments"] == {"command": f"echo g-{m}"},
          f"gemini response: {gr}")
    o = of_type(w.events, "llm.request", op)
    check(o and o[0]["provider"] == "ollama" and o[0]["model"] == "llama3.2" and o[0]["stream"],
          f"ollama request: {o}")
    orr = of_type(w.events, "llm.response", op)
    check(orr and orr[0]["complete"] and orr[0]["tool_calls"] and
          orr[0]["tool_calls"][0]["arguments"] == {"command": f"echo o-{m}"}, f"ollama response: {orr}")
    c = of_type(w.events, "mcp.call", mp)
    check(c and c[0]["method"] == "tools/call" and c[0]["tool"] == "run_shell" and
          c[0]["rpc_id"] == "7" and
          c[0]["arguments"] == {"command": f"echo mcp-{m}"}, f"mcp.call: {c}")
    r = of_type(w.events, "mcp.result", mp)
    check(r and f"mcp-{m}" in r[0].get("result", "") and r[0]["request_id"] == c[0]["id"],
          f"mcp.result: {r}")


TESTS = [t_openai_sdk_nostream, t_openai_sdk_stream, t_anthropic_sdk_nostream,
         t_anthropic_sdk_stream, t_openai_responses_api, t_curl_http2, t_gzip_response,
         t_large_prompt_many_writes, t_plain_http_request, t_dns_names_connect, t_dns_receive_paths, t_capture_blind,
         t_malformed_traffic, t_capture_replays_identically, t_gemini_ollama_mcp]


def start_fixtures():
    r = subprocess.run([os.path.join(ROOT, "tools", "npm-setup.sh"), NPM_DIR],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"e2e: npm setup failed: {r.stderr.strip()}")
    mock = subprocess.Popen(["node", os.path.join(ROOT, "tools", "mock-llm", "server.mjs"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    info = json.loads(mock.stdout.readline())
    MOCK.update(port=info["port"], cert=info["cert"], pid=mock.pid)
    dns = subprocess.Popen([PY, os.path.join(ROOT, "tools", "dns_server.py"), "--addr", DNS_ADDR,
                            "--record", f"{LLM_NAME}=127.0.0.1"], stderr=subprocess.DEVNULL)
    return [mock, dns]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardend", default=h.WARDEND)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    h.WARDEND = os.path.abspath(a.wardend)
    if os.geteuid() != 0:
        sys.exit("e2e: must run as root (wardend loads eBPF programs)")
    procs = start_fixtures()

    def stop_fixtures():
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait()

    h.run_tests(TESTS, a.k, (TMP, h.TMP), (stop_fixtures,))


if __name__ == "__main__":
    main()
