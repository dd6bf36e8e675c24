// Renders one table's section of report.html from the embedded JSON payload the first time it
// is opened (dataraum_assets/analysis/profile_report.py). No network, no libraries.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const DIMS = DATA.dimensions;
  const NS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function html(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function colour(score) {
    if (score === undefined || score === null) return "#e5e7eb";
    const hue = Math.round(120 * (1 - Math.max(0, Math.min(1, score))));
    return "hsl(" + hue + ", 70%, 55%)";
  }
  function verdict(readiness) {
    const entry = (readiness || {})[DATA.contract];
    return entry ? entry.readiness : "ready";
  }
  function count(value) {
    return (value || 0).toLocaleString("en");
  }

  function nullBar(column, rows) {
    const width = 280;
    const chart = svg("svg", {
      class: "chart nullbar", width: width, height: 18, viewBox: "0 0 " + width + " 18",
    });
    const share = rows ? column.nulls / rows : 0;
    chart.appendChild(svg("rect", { x: 0, y: 2, width: width, height: 14, fill: "#3b82f6" }));
    chart.appendChild(svg("rect", {
      x: width * (1 - share), y: 2, width: width * share, height: 14, fill: "#f59e0b",
    }));
    chart.appendChild(svg("title", {}, count(column.nulls) + " nulls of " + count(rows)));
    return chart;
  }

  function histogram(buckets) {
    const width = 280, height = 90;
    const chart = svg("svg", {
      class: "chart histogram", width: width, height: height + 14,
      viewBox: "0 0 " + width + " " + (height + 14),
    });
    const max = Math.max(1, ...buckets.map((b) => b[2]));
    const barWidth = width / buckets.length;
    buckets.forEach((bucket, i) => {
      const barHeight = (height * bucket[2]) / max;
      const bar = svg("rect", {
        x: i * barWidth + 1, y: height - barHeight, width: Math.max(1, barWidth - 2),
        height: barHeight, fill: "#6366f1",
      });
      bar.appendChild(svg("title", {}, bucket[0] + " – " + bucket[1] + ": " + count(bucket[2])));
      chart.appendChild(bar);
    });
    chart.appendChild(svg("text", { x: 0, y: height + 12 }, String(buckets[0][0]).slice(0, 16)));
    chart.appendChild(svg("text", { x: width, y: height + 12, "text-anchor": "end" },
      String(buckets[buckets.length - 1][1]).slice(0, 16)));
    return chart;
  }

  function topValues(values) {
    const width = 280, row = 16;
    const chart = svg("svg", {
      class: "chart topvalues", width: width, height: row * values.length,
      viewBox: "0 0 " + width + " " + row * values.length,
    });
    const max = Math.max(1, ...values.map((v) => v[1]));
    values.forEach((value, i) => {
      const barWidth = Math.max(1, (120 * value[1]) / max);  // room for the count after it
      chart.appendChild(svg("rect", {
        x: 110, y: i * row + 2, width: barWidth, height: row - 4, fill: "#0ea5e9",
      }));
      const label = value[0] === null ? "(null)" : String(value[0]);
      chart.appendChild(svg("text", { x: 106, y: i * row + 12, "text-anchor": "end" },
        label.slice(0, 18)));
      chart.appendChild(svg("text", { x: 114 + barWidth, y: i * row + 12 }, count(value[1])));
    });
    return chart;
  }

  function heatMap(table) {
    const cell = 22, left = 190, top = 150, rows = table.columns;
    const width = left + cell * DIMS.length + 130, height = top + cell * rows.length + 10;
    const chart = svg("svg", {
      class: "chart heatmap", width: width, height: height,
      viewBox: "0 0 " + width + " " + height,
    });
    DIMS.forEach((dimension, j) => {
      const x = left + j * cell + cell / 2;
      chart.appendChild(svg("text", {
        class: "dim", transform: "translate(" + x + "," + (top - 6) + ") rotate(-60)",
      }, dimension));
    });
    rows.forEach((column, i) => {
      const y = top + i * cell;
      chart.appendChild(svg("text", { class: "row", x: left - 6, y: y + 15 },
        column.name.slice(0, 28)));
      DIMS.forEach((dimension, j) => {
        const score = column.scores[dimension];
        const square = svg("rect", {
          x: left + j * cell, y: y, width: cell - 2, height: cell - 2, fill: colour(score),
        });
        const shown = score === undefined ? "not evaluated" : String(score);
        square.appendChild(svg("title", {}, column.name + " · " + dimension + ": " + shown));
        chart.appendChild(square);
      });
    });
    return chart;
  }

  function columnTable(table) {
    const grid = html("table");
    const head = grid.insertRow();
    ["column", "header", "type", "role", "concept", "unit", "nulls", "distinct", "flags",
      "readiness"].forEach((name) => head.appendChild(html("th", name)));
    table.columns.forEach((column) => {
      const row = grid.insertRow();
      const header = column.original_header && column.original_header !== column.name
        ? column.original_header : "";
      [column.name, header, column.type, column.role, column.concept, column.unit,
        count(column.nulls), count(column.distinct), (column.flags || []).join(", ")]
        .forEach((value) => { row.insertCell().textContent = value == null ? "" : value; });
      const state = verdict(column.readiness);
      row.insertCell().appendChild(html("span", state, "badge " + state));
    });
    return grid;
  }

  function render(box) {
    const table = DATA.tables[box.dataset.table];
    const body = box.querySelector(".body");
    body.appendChild(columnTable(table));
    body.appendChild(html("h3", "Entropy per column"));
    body.appendChild(heatMap(table));
    const cards = html("div", undefined, "cols");
    const charts = DATA.charts[table.name] || {};
    table.columns.forEach((column) => {
      const card = html("div", undefined, "col");
      card.appendChild(html("h4", column.name + " · " + column.type));
      card.appendChild(html("div", "nulls " + count(column.nulls) + " of " + count(table.rows),
        "muted"));
      card.appendChild(nullBar(column, table.rows));
      const chart = charts[column.name] || {};
      if (chart.hist && chart.hist.length) card.appendChild(histogram(chart.hist));
      else if (chart.top && chart.top.length) card.appendChild(topValues(chart.top));
      else card.appendChild(html("div", "no distribution (all null or not profiled)", "muted"));
      cards.appendChild(card);
    });
    body.appendChild(cards);
    box.dataset.rendered = "1";
  }

  document.querySelectorAll("details.tbl").forEach((box) => {
    box.addEventListener("toggle", () => {
      if (box.open && !box.dataset.rendered) render(box);
    });
  });
  document.querySelectorAll("details.tbl[open]").forEach(render);
})();
