#!/usr/bin/python3
"""Draws docs/benchmark.png from the results of scripts/bench_httpd.py
(wrk.json) and scripts/bench_callgrind.py (callgrind.json): requests/s on
the left, instructions per request on the right (log scale: stock's sealed
sessions cost thousands of times the others), stock beside ours for each
of none / plain / sealed. Needs Debian's python3-matplotlib.
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_httpd import IMPLS, LABEL, MODES, REPO, RESULTS, SESSION_BYTES  # noqa: E402

CHART = REPO / "docs" / "benchmark.png"
COLOR = {"stock": "#9e9e9e", "ours": "#1f77b4"}


def panel(ax, values, title, fmt):
    """Grouped bars: one group per mode, stock and ours side by side, labelled."""
    width = 0.38
    for i, impl in enumerate(IMPLS):
        xs = [m + (i - 0.5) * width for m in range(len(MODES))]
        bars = ax.bar(xs, [values[impl][mode] for mode in MODES], width,
                      label=impl, color=COLOR[impl])
        ax.bar_label(bars, [fmt(values[impl][mode]) for mode in MODES], fontsize=8, padding=2)
    ax.set_xticks(range(len(MODES)), [LABEL[mode] for mode in MODES])
    ax.set_title(title)
    ax.legend()


def main():
    wrk = json.loads((RESULTS / "wrk.json").read_text())
    ir = json.loads((RESULTS / "callgrind.json").read_text())["instructions_per_request"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    panel(left, wrk["requests_per_second"],
          f"requests/s (higher is better), median of {wrk['rounds']} wrk runs", "{:,.0f}".format)
    left.margins(y=0.2)  # room for the labels and the legend above the bars
    panel(right, ir, "instructions per request (lower is better), callgrind",
          lambda v: f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1e3:.0f}k")
    right.set_yscale("log")
    right.margins(y=0.25)
    fig.suptitle(f"httpd, static page, {SESSION_BYTES}-byte session re-saved on every request")
    fig.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    fig.savefig(CHART, dpi=100)
    print(f"chart: {CHART}")


if __name__ == "__main__":
    main()
