#!/usr/bin/python3
"""Draws docs/benchmark.png from the results of scripts/bench_httpd.py
(wrk.json) and scripts/bench_callgrind.py (callgrind.json): requests/s on
the left, instructions per request on the right (log scale: stock's sealed
sessions cost thousands of times the others), stock beside ours for each
of none / plain / sealed. And docs/benchmark-shapes.png from
scripts/bench_shapes.py (shapes.json): for each session shape,
instructions per request over no session, stock plain and ours plain,
sealed and sealed with shmcb, with the targets. Each chart is drawn when
its results are there. Needs Debian's python3-matplotlib.
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
SHAPES_CHART = REPO / "docs" / "benchmark-shapes.png"
# shapes.json's columns drawn, their labels and colours, and the target of
# each of ours.
SHAPE_COLUMNS = [("stock-plain", "stock plain", "#9e9e9e", None),
                 ("ours-plain", "ours plain", "#1f77b4", 1.6),
                 ("ours-sealed", "ours sealed", "#ff7f0e", 2.2),
                 ("ours-sealed+shmcb", "ours sealed + shmcb", "#2ca02c", 2.4)]
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


def main_chart():
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


def shapes_chart():
    """Grouped bars per shape: each column's instructions per request over
    its implementation's no session (log scale), the targets as ticks."""
    data = json.loads((RESULTS / "shapes.json").read_text())
    shapes = data["shapes"]
    names = list(shapes)
    fig, ax = plt.subplots(figsize=(12, 4.8))
    width = 0.2
    for i, (col, label, color, target) in enumerate(SHAPE_COLUMNS):
        base = data["no_session"][col.split("-")[0]]
        xs, ys, targeted = [], [], []
        for x, name in enumerate(names):
            value = shapes[name]["instructions_per_request"].get(col)
            if value:
                xs.append(x + (i - 1.5) * width)
                ys.append(value / base)
                if shapes[name]["session_bytes"] <= 4096:
                    targeted.append(xs[-1])
        bars = ax.bar(xs, ys, width, label=label, color=color)
        ax.bar_label(bars, [f"{y:.2f}" for y in ys], fontsize=7, padding=1, rotation=90)
        if target:
            for x in targeted:
                ax.hlines(target, x - width / 2, x + width / 2, colors="black", linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), [f"{n}\n{shapes[n]['session_bytes']:,} B, "
                                      f"{shapes[n]['escapes']} esc." for n in names],
                  fontsize=8)
    ax.set_ylabel("instructions per request / no session (log)")
    ax.set_title("by session shape (callgrind; black ticks: ours' targets, 4 KB and under)")
    ax.legend(fontsize=8)
    ax.margins(y=0.3)
    fig.tight_layout()
    fig.savefig(SHAPES_CHART, dpi=100)
    print(f"chart: {SHAPES_CHART}")


def main():
    drawn = 0
    if (RESULTS / "wrk.json").exists() and (RESULTS / "callgrind.json").exists():
        main_chart()
        drawn += 1
    if (RESULTS / "shapes.json").exists():
        shapes_chart()
        drawn += 1
    if not drawn:
        sys.exit(f"no results in {RESULTS}: run scripts/benchmark.sh")


if __name__ == "__main__":
    main()
