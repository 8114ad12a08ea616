"""make bench, row 1 (and row 7's TLS part): TLS round trips of an agent-like loop.

tools/bench/tls_rt: N HTTPS request/response round trips over loopback (4 KiB
request, 16 KiB response, keep-alive), without BPF, with empty programs on
Warden's hooks, with wardend, and with bpftrace on the same SSL_* uprobes.
Target: Warden's added cost <= 1.5x the empty programs' added cost.
"""
import os

from harness import BUILD, QUICK, cert, counted_per_op, measure, overhead_row, run_json


def row():
    c, k = cert()
    n = 200 if QUICK else 5000
    tool = os.path.join(BUILD, "bench", "tls_rt")
    calls = {}

    def work():
        r = run_json([tool, c, k, str(n)])
        calls["per_rt"] = r["ssl_calls"] / r["rounds"]
        return r

    med = measure(work, lambda r: r["rounds"])
    added_per_call = med["added"]["warden"] / calls["per_rt"] / 1000.0
    # Counted, as the storms: the uprobe traps are in neither figure (they are what the
    # empty row's timed cost has beyond its BPF run time), so a timed Warden below the
    # floor is the machine (a busy second core wakes the loop's threads sooner), not a
    # saving; the counted BPF time says what Warden's programs really add.
    counted = counted_per_op([tool, c, k, str(n)], n)
    return overhead_row("TLS round trip (4K LLM request, 16K reply)", "us/round trip", med, 1.5,
                        extra={"added_us_per_ssl_call": round(added_per_call, 2),
                               "ssl_calls_per_rt": round(calls["per_rt"], 2),
                               "counted_us_per_op": counted,
                               "warden_bpf_beyond_empty_us": round(
                                   counted["warden"]["bpf"] - counted["empty"]["bpf"], 3)})
