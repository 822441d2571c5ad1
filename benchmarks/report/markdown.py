"""The one Markdown table renderer, and the number formats every table uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIB = 2**20


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """A Markdown table; ``align`` has one letter per column, ``l`` or ``r``."""
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align must be one 'l' or 'r' per column, got {align!r}")
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = [list(header), rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def ms(seconds: float) -> str:
    """Seconds as milliseconds: three decimals below 10 ms, one above."""
    return f"{seconds * 1e3:,.3f}" if seconds < 0.01 else f"{seconds * 1e3:,.1f}"


def timing(row: dict[str, Any]) -> str:
    """The median, and under it in small print the range of the timed runs."""
    return f"{ms(row['median_s'])}<br><small>{ms(row['min_s'])}–{ms(row['max_s'])}</small>"


def mib(size: float) -> str:
    """Bytes as MiB with one decimal."""
    return f"{size / MIB:,.1f}"
