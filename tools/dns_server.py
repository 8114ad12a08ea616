#!/usr/bin/env python3
"""A tiny UDP DNS responder for Warden's tests (stdlib only).

Answers A/AAAA queries for the names given with --record NAME=IP (repeatable;
an IPv4 address makes an A record, an IPv6 address an AAAA record; TTL 60).
A known name asked for a type it has no record of gets NOERROR with no
answers; any other name gets NXDOMAIN. The question is echoed and each answer
names it with a compression pointer to offset 12. Writes "ADDR PORT" to
--ready-file (atomically) once bound.

  tools/dns_server.py --addr 127.0.0.2 --port 53 --record api.example.test=127.0.0.1
"""
import argparse, ipaddress, os, socket, struct, sys

QTYPE_A, QTYPE_AAAA, QCLASS_IN = 1, 28, 1
RCODE_OK, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 3, 4
TTL = 60


def parse_question(msg):
    """-> (qname lowercased without trailing dot, qtype, qclass, end offset)."""
    labels, off = [], 12
    while True:
        if off >= len(msg):
            raise ValueError("truncated name")
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compressed question name")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
        if len(labels) > 127:
            raise ValueError("name too long")
    if off + 4 > len(msg):
        raise ValueError("truncated question")
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels).lower(), qtype, qclass, off + 4


def answer(msg, records):
    """Build the response to the query msg, or None to drop it."""
    if len(msg) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", msg[:12])
    if flags & 0x8000:  # a response, not a query
        return None
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    def header(rcode, ancount, qdcount):
        # QR=1, opcode echoed, AA=1, TC=0, RD echoed, RA=1, Z=0, rcode.
        f = 0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode
        return struct.pack("!6H", qid, f, qdcount, ancount, 0, 0)
    if opcode != 0:
        return header(RCODE_NOTIMP, 0, 0)
    if qd != 1:
        return header(RCODE_FORMERR, 0, 0)
    try:
        name, qtype, qclass, end = parse_question(msg)
    except ValueError:
        return header(RCODE_FORMERR, 0, 0)
    question = msg[12:end]
    if name not in records:
        return header(RCODE_NXDOMAIN, 0, 1) + question
    rrs = []
    if qclass == QCLASS_IN:
        for ip in records[name]:
            if (qtype == QTYPE_A and ip.version == 4) or (qtype == QTYPE_AAAA and ip.version == 6):
                rdata = ip.packed
                # 0xC00C: pointer to the question's name at offset 12.
                rrs.append(struct.pack("!HHHIH", 0xC00C, qtype, QCLASS_IN, TTL, len(rdata)) + rdata)
    return header(RCODE_OK, len(rrs), 1) + question + b"".join(rrs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addr", default="127.0.0.2")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--record", action="append", default=[], metavar="NAME=IP")
    ap.add_argument("--ready-file")
    a = ap.parse_args()
    records = {}
    for r in a.record:
        name, sep, ip = r.partition("=")
        try:
            addr = ipaddress.ip_address(ip.strip())
        except ValueError:
            addr = None
        if not sep or not name or addr is None:
            ap.error(f"bad --record {r!r}: want NAME=IP")
        records.setdefault(name.strip().rstrip(".").lower(), []).append(addr)
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        sock.bind((a.addr, a.port))
    except OSError as e:
        sys.exit(f"dns_server: cannot bind {a.addr}:{a.port}: {e}")
    port = sock.getsockname()[1]
    if a.ready_file:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write(f"{a.addr} {port}\n")
        os.rename(a.ready_file + ".tmp", a.ready_file)
    print(f"dns_server: listening on {a.addr}:{port} with {len(records)} names", file=sys.stderr, flush=True)
    while True:
        msg, peer = sock.recvfrom(4096)
        resp = answer(msg, records)
        if resp is not None:
            sock.sendto(resp, peer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
