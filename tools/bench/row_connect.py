"""make bench, row 2: a connect storm, connect()s to a closed loopback port, refused.

Target: Warden's added cost <= 1.3x the empty programs' (harness.storm_row)."""
from harness import QUICK, storm_row


def row():
    n = 1000 if QUICK else 50000
    return storm_row("connect", n, f"connect storm ({n} refused)", "us/connect")
