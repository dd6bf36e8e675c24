"""The visual profile report of a source: one self-contained HTML file (``report.html``).

No network: the CSS, the script and every chart are inline; charts are SVG. The overview (counts,
readiness per contract, the table × dimension heat map and the relationship diagram) is drawn
here in Python. Per-table sections (column table, column × dimension heat map, and per column
a null bar, a histogram or the top values) are drawn by the inline script from an embedded
JSON payload when a section is opened, so a 20-table source opens as fast as a small one.
"""

import html
import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import duckdb
import networkx as nx

from dataraum_assets.analysis.entropy_context import DIMENSIONS, attached_upstreams

MAX_TOP_VALUES = 10
NOT_EVALUATED = "#e5e7eb"
SCRIPT_FILE = "profile_report.js"  # package data: renders the per-table sections


def collect_charts(
    con: duckdb.DuckDBPyConnection, aliases: Mapping[str, str] | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """table → column → {"hist": [[lower_label, upper_label, count]], "top": [[value, count]]}
    from statistical_profiles' ``histograms`` and ``top_values`` (empty when not attached)."""
    up = attached_upstreams(con, aliases)
    charts: dict[str, dict[str, dict[str, Any]]] = {}

    def slot(table: str, column: str) -> dict[str, Any]:
        return charts.setdefault(table, {}).setdefault(column, {"hist": [], "top": []})

    if up.has("statistical_profiles.histograms"):
        for table, column, lower, upper, count in con.execute(
            "SELECT table_name, column_name, lower_label, upper_label, count FROM "
            f"{up.ref('statistical_profiles.histograms')} ORDER BY table_name, column_name, bucket"
        ).fetchall():
            slot(table, column)["hist"].append([lower, upper, count])
    if up.has("statistical_profiles.top_values"):
        for table, column, value, count in con.execute(
            "SELECT table_name, column_name, value, count FROM "
            f"{up.ref('statistical_profiles.top_values')} WHERE rank <= ? "
            "ORDER BY table_name, column_name, rank",
            [MAX_TOP_VALUES],
        ).fetchall():
            slot(table, column)["top"].append([value, count])
    return charts


def score_colour(score: float | None) -> str:
    """Green (0) through yellow to red (1); grey when the dimension was not evaluated."""
    if score is None:
        return NOT_EVALUATED
    hue = round(120 * (1 - min(1.0, max(0.0, score))))
    return f"hsl({hue}, 70%, 55%)"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(readiness: str) -> str:
    return f'<span class="badge {readiness}">{readiness}</span>'


def _heat_map(rows: Sequence[tuple[str, Mapping[str, float]]], label: str) -> str:
    """SVG grid: one row per entry, one column per dimension, cell colour = score."""
    cell, left, top = 22, 190, 150
    width = left + cell * len(DIMENSIONS) + 130  # room for the last rotated label
    height = top + cell * len(rows) + 10
    parts = [
        f'<svg class="chart heatmap" role="img" aria-label="{_e(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for j, dimension in enumerate(DIMENSIONS):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text class="dim" transform="translate({x:.0f},{top - 6}) rotate(-60)">'
            f"{_e(dimension)}</text>"
        )
    for i, (name, scores) in enumerate(rows):
        y = top + i * cell
        parts.append(f'<text class="row" x="{left - 6}" y="{y + 15}">{_e(name[:28])}</text>')
        for j, dimension in enumerate(DIMENSIONS):
            score = scores.get(dimension)
            title = f"{name} · {dimension}: " + (
                "not evaluated" if score is None else f"{score:.3g}"
            )
            parts.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{score_colour(score)}"><title>{_e(title)}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _relationship_diagram(document: Mapping[str, Any]) -> str:
    relationships = document["relationships"]
    tables = [t["name"] for t in document["tables"]]
    if not relationships:
        return '<p class="muted">No relationships found or not analysed.</p>'
    graph = nx.DiGraph()
    graph.add_nodes_from(tables)
    for r in relationships:
        graph.add_edge(r["child_table"], r["parent_table"])
    # A fixed seed keeps the layout (and the file) identical between runs.
    positions = nx.spring_layout(graph, seed=7, k=2 / math.sqrt(max(1, len(graph))))
    width, height, pad = 900, 560, 70
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def at(node: str) -> tuple[float, float]:
        x, y = positions[node]
        return (
            pad + (x - min(xs)) / span_x * (width - 2 * pad),
            pad + (y - min(ys)) / span_y * (height - 2 * pad),
        )

    parts = [
        f'<svg class="chart diagram" role="img" aria-label="relationship diagram" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#64748b"/></marker></defs>',
    ]
    for r in relationships:
        (x1, y1), (x2, y2) = at(r["child_table"]), at(r["parent_table"])
        orphans = r.get("orphan_count") or 0
        colour = "#dc2626" if orphans else "#64748b"
        label = f"{', '.join(r['child_columns'])} ({r.get('cardinality') or '?'})"
        if orphans:
            label += f" · {orphans:,} orphans"
        if (x1, y1) == (x2, y2):  # self-reference: a loop above the node
            path = (
                f"M {x1 - 10:.1f} {y1 - 14:.1f} C {x1 - 40:.1f} {y1 - 70:.1f}, "
                f"{x1 + 40:.1f} {y1 - 70:.1f}, {x1 + 10:.1f} {y1 - 14:.1f}"
            )
            lx, ly = x1, y1 - 62
        else:
            dx, dy = x2 - x1, y2 - y1
            length = math.hypot(dx, dy) or 1
            # stop short of the node's box so the arrow head stays visible
            ex, ey = x2 - dx / length * 40, y2 - dy / length * 16
            path = f"M {x1:.1f} {y1:.1f} L {ex:.1f} {ey:.1f}"
            lx, ly = (x1 + x2) / 2, (y1 + y2) / 2 - 4
        parts.append(
            f'<path d="{path}" stroke="{colour}" stroke-width="1.6" fill="none" '
            f'marker-end="url(#arrow)"><title>{_e(label)}</title></path>'
            f'<text class="edge" x="{lx:.1f}" y="{ly:.1f}" fill="{colour}">{_e(label)}</text>'
        )
    readiness = {t["name"]: t["readiness"] for t in document["tables"]}
    contract = document["contract"]
    for node in graph.nodes:
        x, y = at(node)
        verdict = readiness.get(node, {}).get(contract, {}).get("readiness", "ready")
        w = max(60, 7.5 * len(node) + 16)
        parts.append(
            f'<g class="node {verdict}"><rect x="{x - w / 2:.1f}" y="{y - 14:.1f}" '
            f'width="{w:.1f}" height="28" rx="6"/><text x="{x:.1f}" y="{y + 5:.1f}">'
            f"{_e(node)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#0f172a;
background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:16px 28px}header h1{margin:0;font-size:22px}
main{padding:8px 28px 40px;max-width:1300px}section{margin:22px 0}h2{font-size:18px;
border-bottom:1px solid #cbd5e1;padding-bottom:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #e2e8f0;
border-radius:8px;padding:10px 16px;min-width:120px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;background:#fff;font-size:13px}td,th{border:1px solid #e2e8f0;
padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9}
.badge{border-radius:10px;padding:1px 8px;font-size:12px;color:#fff}.ready{background:#16a34a}
.investigate{background:#d97706}.blocked{background:#dc2626}.muted{color:#64748b}
svg text{font-size:11px;fill:#0f172a}svg text.dim{text-anchor:start}svg text.row{
text-anchor:end}svg text.edge{font-size:10px;text-anchor:middle}
.node rect{fill:#fff;stroke:#16a34a;stroke-width:2}.node.investigate rect{stroke:#d97706}
.node.blocked rect{stroke:#dc2626}.node text{text-anchor:middle;font-size:12px}
details.tbl{background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:8px 0;
padding:6px 12px}details.tbl>summary{cursor:pointer;font-weight:600}
.cols{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px;
margin-top:10px}.col{border:1px solid #e2e8f0;border-radius:6px;padding:6px 8px}
.col h4{margin:0 0 4px;font-size:13px}.legend span{display:inline-block;width:14px;height:14px;
vertical-align:middle;margin:0 4px 0 10px}
"""


def _asset(name: str) -> str:
    return resources.files("dataraum_assets.analysis").joinpath(name).read_text("utf-8")


def render_report(
    document: Mapping[str, Any], charts: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> str:
    """The self-contained HTML report of ``document`` with the column ``charts``."""
    contract = document["contract"]
    overview = document["overview"]
    source_verdict = overview["readiness"].get(contract, {"readiness": "ready", "violations": []})
    cards = [
        ("tables", f"{overview['tables']:,}"),
        ("columns", f"{overview['columns']:,}"),
        ("rows", f"{overview['rows']:,}"),
        ("schema pattern", overview["schema_pattern"] or "n/a"),
    ]
    coverage = overview["time_coverage"]
    if coverage:
        cards.append(("time coverage", f"{coverage['start']} – {coverage['end']}"))
    cards_html = "".join(f'<div class="card">{_e(k)}<b>{_e(v)}</b></div>' for k, v in cards)
    readiness_rows = "".join(
        f"<tr><td>{_e(name)}</td><td>{_badge(entry['readiness'])}</td>"
        f"<td>{_e(', '.join(entry['violations']))}</td></tr>"
        for name, entry in overview["readiness"].items()
    )
    table_rows: list[tuple[str, dict[str, float]]] = []
    for table in document["tables"]:
        worst: dict[str, float] = dict(table["scores"])
        for column in table["columns"]:
            for dimension, score in column["scores"].items():
                worst[dimension] = max(worst.get(dimension, 0.0), score)
        table_rows.append((table["name"], worst))
    issues = "".join(
        f"<tr><td>{i['rank']}</td><td>{_e(i['target'])}</td><td>{_e(i['dimension'])}</td>"
        f"<td>{i['score']:.3g}</td><td>{_badge(i['readiness'])}</td><td>{_e(i['issue'])}</td>"
        f'<td class="muted">{_e(i["evidence"])}</td></tr>'
        for i in document["top_issues"]
    )
    sections = "".join(
        f'<details class="tbl" data-table="{index}"><summary>{_e(t["name"])} '
        f'<span class="muted">{t["rows"]:,} rows · {len(t["columns"])} columns</span> '
        f"{_badge(t['readiness'].get(contract, {}).get('readiness', 'ready'))}</summary>"
        f'<div class="body"></div></details>'
        for index, t in enumerate(document["tables"])
    )
    skipped = [d for d in document["detectors"] if d["status"] == "skipped"]
    skipped_note = (
        '<p class="muted">Not evaluated (grey): '
        + _e("; ".join(f"{d['dimension']} ({d['reason']})" for d in skipped))
        + "</p>"
        if skipped
        else ""
    )
    payload = {
        "contract": contract,
        "dimensions": list(DIMENSIONS),
        "tables": document["tables"],
        "charts": charts,
    }
    # "<" escaped so no value can close the script element.
    data = json.dumps(payload, separators=(",", ":"), default=str).replace("<", "\\u003c")
    legend = "".join(
        f'<span style="background:{score_colour(s)}"></span>{label}'
        for s, label in ((0.0, "0"), (0.5, "0.5"), (1.0, "1"), (None, "not evaluated"))
    )
    source = _e(document["source"])
    generated = _e(document["generated_at"])
    verdict_badge = _badge(source_verdict["readiness"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Profile report: {source}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Profile report: {source}</h1>
<div>Generated {generated} · contract {_e(contract)}: {verdict_badge}</div></header>
<main>
<section id="overview"><h2>Overview</h2><div class="cards">
{cards_html}
</div>
<h3>Readiness per contract</h3>
<table><tr><th>contract</th><th>readiness</th><th>dimensions not ready</th></tr>
{readiness_rows}</table></section>
<section id="heatmap"><h2>Entropy heat map (tables × dimensions, worst column)</h2>
<div class="legend">{legend}</div>{skipped_note}
{_heat_map(table_rows, "entropy heat map")}</section>
<section id="relationships"><h2>Relationships</h2>{_relationship_diagram(document)}</section>
<section id="issues"><h2>Top issues</h2>
<table><tr><th>#</th><th>target</th><th>dimension</th><th>score</th><th>readiness</th>
<th>issue</th><th>evidence</th></tr>{issues}</table></section>
<section id="tables"><h2>Tables</h2><p class="muted">Open a table for its columns, charts
and entropy per column.</p>{sections}</section>
</main>
<script type="application/json" id="report-data">{data}</script>
<script>{_asset(SCRIPT_FILE)}</script>
</body></html>
"""
