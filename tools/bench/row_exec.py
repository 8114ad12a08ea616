"""make bench, row 2 (and row 7's exec part): an exec storm, fork+exec /bin/true.

Target: Warden's added cost <= 1.3x the empty programs' (harness.storm_row)."""
from harness import QUICK, storm_row


def row():
    n = 300 if QUICK else 5000
    return storm_row("exec", n, f"exec storm ({n} fork+exec /bin/true)", "us/exec")
