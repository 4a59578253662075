"""Peak resident memory of the calling process, for the benchmark workers (stdlib only: the Rasa
worker imports it too, under Rasa's own Python)."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory in MB. Linux's ru_maxrss survives exec, so a child of
    a large parent would report the parent's size; VmHWM belongs to the new program alone."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
