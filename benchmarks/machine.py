"""The machine under the measurements: its description, /proc probes, child processes, logs.

Every part of the tool imports these from here; nothing in ``llm_attention`` reads ``/proc``.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

#: The repository root: child processes find ``benchmarks`` and ``llm_attention`` here.
ROOT = Path(__file__).resolve().parents[1]


def machine_info(device: str) -> dict[str, Any]:
    """The processor, Python, torch and thread settings of this run, and the date."""
    processor = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
        processor = names[0] if names else processor
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": processor,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "device": device,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if device.startswith("cuda"):
        info["cuda_device"] = torch.cuda.get_device_name(torch.device(device))
    return info


def status_kib(field: str) -> int:
    """A ``/proc/self/status`` field in KiB, e.g. ``VmRSS`` or ``VmHWM``."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def can_measure_peak_rss() -> bool:
    """Whether this system lets a process reset its peak resident set size (Linux)."""
    return os.path.exists("/proc/self/clear_refs")


def reset_peak_rss() -> int:
    """Reset ``VmHWM`` to the current resident size, and return that size in bytes."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # reset VmHWM to the current VmRSS
    return status_kib("VmRSS") * 1024


def peak_rss() -> int:
    """The peak resident set size (``VmHWM``) since the last reset, in bytes."""
    return status_kib("VmHWM") * 1024


def minor_faults() -> int:
    """Minor page faults of this process so far (all threads), or -1 where unknown."""
    try:
        import resource
    except ImportError:  # Windows
        return -1
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


#: Peak-memory children run with this, so that glibc returns every freed block over
#: 64 KiB to the system at once instead of keeping it for the next variant.
RETURN_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def run_child(
    args: list[str], *, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks ARGS`` in a fresh process, with the repository on its path.

    The probes that measure memory or change the C allocator run in child processes: the
    allocator reads its ``MALLOC_*`` settings only when a process starts, and a fresh process
    holds no memory freed by an earlier variant.
    """
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), child_env.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env,
        check=False,
    )


class OtherCPU:
    """CPU time that other processes (and the hypervisor) took while a part ran.

    The busy time of all CPUs from ``/proc/stat`` (steal time included) minus
    the CPU time of this process and its children. ``share`` is that time as a
    fraction of what all CPUs could have done meanwhile: 0 on a quiet machine.
    """

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float] | None:
        try:
            import resource

            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:9]]
        except (ImportError, OSError, ValueError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        ours = sum(
            usage.ru_utime + usage.ru_stime
            for usage in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )
        return time.perf_counter(), busy, ours

    def report(self) -> dict[str, Any]:
        """Wall time, other processes' CPU time and its share of all CPUs since construction."""
        end = self._now()
        if self.start is None or end is None:
            return {"method": "unavailable: needs Linux /proc/stat"}
        wall = end[0] - self.start[0]
        other = max((end[1] - self.start[1]) - (end[2] - self.start[2]), 0.0)
        return {
            "wall_s": wall,
            "other_cpu_s": other,
            "share": other / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0,
            "load_average": list(os.getloadavg()),
            "method": "/proc/stat busy time (steal included) minus this process and its children",
        }


def log(message: str) -> None:
    """Progress on stderr, so that stdout holds only the results."""
    print(message, file=sys.stderr, flush=True)
