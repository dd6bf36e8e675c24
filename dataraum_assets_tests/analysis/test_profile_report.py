"""The profile report in headless Chromium (Debian's /usr/bin/chromium, installed by
scripts/ensure-chromium): it loads with no console errors and no network, its charts draw
something, and a generated 20-table source's report opens in under 3 s."""

import statistics
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dataraum_assets.analysis.profile_report import collect_charts, render_report, score_colour
from dataraum_assets_tests.analysis.test_context_document import (
    document_of,
    small_source,
    wide_source,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The bound; the report renders table sections lazily to stay far below it.
MAX_LOAD_SECONDS = 3.0


def png_pixels(data: bytes) -> list[tuple[int, ...]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) into pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, ...]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return pixels


def pixel_variance(png: bytes) -> float:
    """Variance of the pixels' brightness: 0 for a blank (one-colour) image."""
    return statistics.pvariance([sum(p) / 3 for p in png_pixels(png)])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def write_report(folder: Path, name: str, wide: bool = False) -> Path:
    con = wide_source() if wide else small_source()
    try:
        document = document_of(con, source=name)
        charts = collect_charts(con)
    finally:
        con.close()
    path = folder / f"{name}.html"
    path.write_text(render_report(document, charts), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(tmp_path_factory.mktemp("report"), "shop")


class Watched:
    """A page with its console errors, page errors and non-file requests recorded."""

    def __init__(self, browser: Browser) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1300, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file://", "data:")):
            self.requests.append(request.url)

    def open(self, path: Path) -> float:
        started = time.perf_counter()
        self.page.goto(path.as_uri(), wait_until="load")
        return time.perf_counter() - started


def test_report_loads_without_errors_or_network(browser: Browser, small_report: Path) -> None:
    watched = Watched(browser)
    watched.open(small_report)
    for summary in watched.page.locator("details.tbl > summary").all():
        summary.click()
    # the toggle event that renders a section fires after the click returns: wait for it
    expect(watched.page.locator("details.tbl[data-rendered='1']")).to_have_count(2)
    assert watched.errors == []
    assert watched.requests == []
    html = small_report.read_text(encoding="utf-8")
    assert "<script src" not in html and '<link rel="stylesheet"' not in html
    watched.page.close()


@pytest.mark.parametrize(
    "selector",
    [
        "#heatmap svg.heatmap",
        "#relationships svg.diagram",
        "details.tbl svg.heatmap",
        "svg.histogram",
        "svg.topvalues",
        "svg.nullbar",
    ],
)
def test_charts_render(browser: Browser, small_report: Path, selector: str) -> None:
    watched = Watched(browser)
    watched.open(small_report)
    watched.page.locator("details.tbl > summary").first.click()  # customers: text columns
    watched.page.locator("details.tbl > summary").nth(1).click()  # orders: numbers
    expect(watched.page.locator("details.tbl[data-rendered='1']")).to_have_count(2)
    chart = watched.page.locator(selector).first
    box = chart.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10, selector
    # a screenshot of exactly the chart's bounding box is not one flat colour: it drew
    assert pixel_variance(chart.screenshot()) > 50, selector
    watched.page.close()


def test_heat_map_colours_follow_the_scores(browser: Browser, small_report: Path) -> None:
    watched = Watched(browser)
    watched.open(small_report)
    fills = watched.page.locator("#heatmap svg.heatmap rect").evaluate_all(
        "rects => rects.map(r => [r.getAttribute('fill'), r.textContent])"
    )
    by_label = {label: fill for fill, label in fills}
    assert by_label["orders · value.nulls: 0.133"] == score_colour(40 / 300)
    assert by_label["orders · value.variance: not evaluated"] == score_colour(None)
    watched.page.close()


def test_a_20_table_report_opens_in_under_3_seconds(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_report(tmp_path_factory.mktemp("wide"), "generated", wide=True)
    watched = Watched(browser)
    seconds = watched.open(path)
    assert watched.page.locator("details.tbl").count() == 20
    assert seconds < MAX_LOAD_SECONDS, f"{seconds:.2f} s"
    started = time.perf_counter()
    watched.page.locator("details.tbl > summary").last.click()
    watched.page.locator("details.tbl[data-rendered='1'] svg.histogram").first.wait_for()
    assert time.perf_counter() - started < MAX_LOAD_SECONDS
    assert watched.errors == []
    watched.page.close()


def test_pixel_variance_tells_blank_from_drawn(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content(
        '<div id="blank" style="width:120px;height:40px;background:#fff"></div>'
        '<svg id="drawn" width="120" height="40"><rect width="60" height="40" fill="#6366f1"/>'
        "</svg>"
    )
    assert pixel_variance(page.locator("#blank").screenshot()) == 0
    assert pixel_variance(page.locator("#drawn").screenshot()) > 50
    page.close()
