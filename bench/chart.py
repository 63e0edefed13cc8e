#!/usr/bin/env python3
"""Draws the ratios of `make bench` as an SVG chart (stdlib only).

Usage: bench/chart.py DATA.tsv [SUBTITLE] > docs/benchmarks.svg

DATA.tsv has one line per row of the results tables, as bench/run.sh writes it:
pipeline, label, ratio to the baseline, target ratio (or "-"), command rps / PING rps,
baseline rps / PING rps (tab-separated).

Left panel: the ratio of each command to its baseline, one bar per pipeline, with the target
as a red mark (a value below its target is written in red). Right panel: the command's
requests/s as a share of PING's at the same pipeline, with the baseline's share as a black tick.
"""

import sys
from xml.sax.saxutils import escape

PIPELINE_COLOURS = {"16": "#2f6db5", "1": "#94bde9"}
TARGET_COLOUR = "#d62728"
TEXT = "#222222"
GRID = "#d0d0d0"
FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

LABEL_WIDTH = 250
LEFT_WIDTH = 400
GAP = 70
RIGHT_WIDTH = 260
MARGIN = 20
TOP = 92
BAR = 11
ROW = 2 * BAR + 14


def read_rows(path):
    rows = []
    with open(path, encoding="utf-8") as data:
        for number, line in enumerate(data, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 6:
                raise SystemExit(f"{path}:{number}: expected 6 tab-separated fields, got {len(fields)}")
            pipeline, label, ratio, target, share, base_share = fields
            rows.append({
                "pipeline": pipeline,
                "label": label,
                "ratio": float(ratio),
                "target": None if target == "-" else float(target),
                "share": float(share),
                "base_share": float(base_share),
            })
    if not rows:
        raise SystemExit(f"{path}: no rows")
    return rows


def label_order(rows):
    """Labels in the order of the pipeline-16 table; a label only measured at pipeline 1 goes
    after the label that precedes it in the pipeline-1 table."""
    order = []
    for row in rows:
        if row["pipeline"] != "1" and row["label"] not in order:
            order.append(row["label"])
    previous = None
    for row in rows:
        if row["pipeline"] != "1":
            continue
        if row["label"] not in order:
            order.insert(order.index(previous) + 1 if previous in order else len(order), row["label"])
        previous = row["label"]
    return order


def nice_max(value, step):
    steps = int(value / step) + 1
    return steps * step


def text(x, y, content, size=12, anchor="start", colour=TEXT, weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{colour}">{escape(content)}</text>')


def line(x1, y1, x2, y2, colour, width=1.0, dash=None):
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{width}"{dashes}/>')


def rect(x, y, width, height, colour):
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" fill="{colour}"/>'


def axis(out, x0, width, maximum, step, bottom, fmt):
    value = 0.0
    while value <= maximum + 1e-9:
        x = x0 + width * value / maximum
        out.append(line(x, TOP - 6, x, bottom, GRID))
        out.append(text(x, bottom + 15, fmt(value), size=11, anchor="middle"))
        value += step


def draw(rows, subtitle):
    order = label_order(rows)
    by_key = {(row["label"], row["pipeline"]): row for row in rows}
    pipelines = sorted({row["pipeline"] for row in rows}, key=lambda p: -int(p))

    ratio_max = nice_max(max([row["ratio"] for row in rows] + [row["target"] or 0 for row in rows] + [2.0]), 0.5)
    share_max = nice_max(max([row["share"] for row in rows] + [row["base_share"] for row in rows] + [0.9]), 0.25)

    left_x = MARGIN + LABEL_WIDTH
    right_x = left_x + LEFT_WIDTH + GAP
    bottom = TOP + ROW * len(order)
    width = right_x + RIGHT_WIDTH + MARGIN + 40
    height = bottom + 90

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           text(MARGIN, 26, "tally: requests/s against what each command replaces (make bench)", size=16, weight="bold")]
    if subtitle:
        out.append(text(MARGIN, 46, subtitle, size=12, colour="#555555"))
    out.append(text(left_x, TOP - 16, "ratio to the baseline (requests/s)", size=12, weight="bold"))
    out.append(text(right_x, TOP - 16, "requests/s as a share of PING's", size=12, weight="bold"))

    for index in range(0, len(order), 2):
        out.append(rect(MARGIN, TOP + ROW * index, width - 2 * MARGIN, ROW, "#f4f6f8"))
    axis(out, left_x, LEFT_WIDTH, ratio_max, 0.5, bottom, lambda v: f"{v:g}x")
    axis(out, right_x, RIGHT_WIDTH, share_max, 0.25, bottom, lambda v: f"{v:g}")
    one = left_x + LEFT_WIDTH / ratio_max
    out.append(line(one, TOP - 6, one, bottom, "#555555", 1.2, "4,3"))

    for index, label in enumerate(order):
        y = TOP + ROW * index
        out.append(text(left_x - 8, y + ROW / 2 + 4, label, anchor="end"))
        for slot, pipeline in enumerate(pipelines):
            row = by_key.get((label, pipeline))
            bar_y = y + 7 + slot * BAR
            if row is None:
                continue
            colour = PIPELINE_COLOURS.get(pipeline, "#777777")
            bar = LEFT_WIDTH * min(row["ratio"], ratio_max) / ratio_max
            out.append(rect(left_x, bar_y, bar, BAR - 1, colour))
            below = row["target"] is not None and row["ratio"] < row["target"]
            label_x = left_x + bar + 4
            if row["target"] is not None:
                target_x = left_x + LEFT_WIDTH * row["target"] / ratio_max
                out.append(line(target_x, bar_y - 2, target_x, bar_y + BAR + 1, TARGET_COLOUR, 2.5))
                if target_x > left_x + bar - 4:
                    label_x = max(label_x, target_x + 5)
            out.append(text(label_x, bar_y + BAR - 2, f"{row['ratio']:.2f}x", size=10,
                            colour=TARGET_COLOUR if below else TEXT, weight="bold" if below else "normal"))
            share = RIGHT_WIDTH * min(row["share"], share_max) / share_max
            out.append(rect(right_x, bar_y, share, BAR - 1, colour))
            base_x = right_x + RIGHT_WIDTH * min(row["base_share"], share_max) / share_max
            out.append(line(base_x, bar_y - 1, base_x, bar_y + BAR, "#000000", 2))
            share_label_x = right_x + share + 4
            if base_x > right_x + share - 4:
                share_label_x = max(share_label_x, base_x + 5)
            out.append(text(share_label_x, bar_y + BAR - 2, f"{row['share']:.2f}", size=10))

    legend_y = bottom + 40
    x = MARGIN
    for pipeline in pipelines:
        out.append(rect(x, legend_y - 10, 14, 10, PIPELINE_COLOURS.get(pipeline, "#777777")))
        out.append(text(x + 20, legend_y, f"pipeline {pipeline}", size=11))
        x += 110
    out.append(line(x + 6, legend_y - 12, x + 6, legend_y + 2, TARGET_COLOUR, 2.5))
    out.append(text(x + 14, legend_y, "target (value in red: below it)", size=11))
    x += 215
    out.append(line(x, legend_y - 5, x + 18, legend_y - 5, "#555555", 1.2, "4,3"))
    out.append(text(x + 24, legend_y, "1x (as fast as the baseline)", size=11))
    x += 200
    out.append(line(x + 6, legend_y - 12, x + 6, legend_y + 2, "#000000", 2))
    out.append(text(x + 14, legend_y, "baseline's share of PING", size=11))
    out.append(text(MARGIN, legend_y + 24, "Medians of interleaved rounds; the tables in docs/benchmarks.md "
                    "have the requests/s, latencies and commands.", size=11, colour="#555555"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    sys.stdout.write(draw(read_rows(sys.argv[1]), sys.argv[2] if len(sys.argv) == 3 else ""))


if __name__ == "__main__":
    main()
