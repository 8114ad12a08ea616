"""make bench, row 2's neighbours: the cost of Warden's hooks on plain I/O.

Target: Warden's added cost <= 1.3x the empty programs' (harness.storm_row)."""
from harness import QUICK, storm_row


def row():
    """What every process on the host pays on its plain I/O, TLS or not: the TLS programs
    learn an SSL call's socket from the socket I/O inside it, so hooks watch I/O that is
    not an agent's too, and so are DNS replies. A pipe (no socket: nothing of Warden's
    should run), a UNIX socketpair and unconnected loopback UDP, sent from a client's socket
    and from a server's (the sock tracepoints run: TLS's return at once outside SSL_*, DNS's
    for anything but a resolver socket, reading where a client socket's first datagram
    goes), opens (the openat hooks run for every process, and report only session
    members'), and io_uring requests (the submit and completion programs run for every
    request, and leave at once outside a session)."""
    n = 20000 if QUICK else 300000
    return [storm_row("pipe", n, f"pipe I/O ({n} 64 B write+read pairs)", "us/pair"),
            storm_row("unix", n, f"UNIX socket I/O ({n} 64 B send+recv pairs)", "us/pair"),
            storm_row("udp", n, f"UDP client I/O ({n} 64 B sendto+recvfrom)", "us/pair"),
            storm_row("udp-server", n, f"UDP server I/O ({n} 64 B sendto+recvfrom)", "us/pair"),
            storm_row("open", n, f"file opens ({n} open+close /dev/null)", "us/open"),
            storm_row("uring", n, f"io_uring NOPs ({n} submitted and waited for)", "us/NOP")]
