"""Generated multi-table sources with documented foreign keys, for the relationships tests.

Deterministic (``random.Random`` with fixed seeds), small (hundreds to a few thousand rows),
and messy the way real sources are: keys named differently from the parent key, orphans, null
foreign keys, a composite key, self-references, and unrelated columns whose values happen to
lie in the same small integer ranges (ids 1..N of other tables, quantities, years, one-letter
codes, booleans). Each source lists its true foreign keys in ``keys`` and the exact orphan rows
per key in ``orphans``; both are derived from the generated rows, not typed in by hand.
"""

import csv
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dataraum_assets.identifiers import normalize_identifier, quote_identifier

# (child table, child columns, parent table, parent columns), normalized names.
ForeignKey = tuple[str, tuple[str, ...], str, tuple[str, ...]]


@dataclass
class Table:
    name: str
    columns: dict[str, str]  # original header -> DuckDB type
    rows: list[list[Any]]

    @property
    def normalized(self) -> list[str]:
        return [normalize_identifier(h, fallback="column") for h in self.columns]


@dataclass
class Source:
    name: str
    tables: list[Table]
    keys: set[ForeignKey] = field(default_factory=set)
    orphans: dict[ForeignKey, int] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        (table,) = [t for t in self.tables if t.name == name]
        return table

    def add_key(
        self, child: str, child_columns: Sequence[str], parent: str, parent_columns: Sequence[str]
    ) -> None:
        """Record a true foreign key and count its orphan rows from the data."""
        norm = lambda h: normalize_identifier(h, fallback="column")  # noqa: E731
        key = (child, tuple(map(norm, child_columns)), parent, tuple(map(norm, parent_columns)))
        self.keys.add(key)
        child_t, parent_t = self.table(child), self.table(parent)
        c_idx = [list(child_t.columns).index(h) for h in child_columns]
        p_idx = [list(parent_t.columns).index(h) for h in parent_columns]
        parent_values = {tuple(row[i] for i in p_idx) for row in parent_t.rows}
        self.orphans[key] = sum(
            1
            for row in child_t.rows
            if all(row[i] is not None for i in c_idx)
            and tuple(row[i] for i in c_idx) not in parent_values
        )


def load_typed(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create ``typed_tables`` (typed schema + type_decisions) in ``con`` from ``source``, shaped
    like the typed_tables asset's output, with the original headers kept."""
    con.execute("ATTACH ':memory:' AS typed_tables")
    con.execute("CREATE SCHEMA typed_tables.typed")
    con.execute(
        "CREATE TABLE typed_tables.main.type_decisions (table_name VARCHAR, column_name VARCHAR, "
        "original_header VARCHAR, position INTEGER, data_type VARCHAR, semantic_type VARCHAR, "
        "formats VARCHAR[], unit VARCHAR, confidence DOUBLE, match_rate DOUBLE, "
        "cast_rate DOUBLE, distinct_sampled BIGINT, non_null BIGINT, failed_count BIGINT, "
        "failed_examples VARCHAR[], note VARCHAR)"
    )
    con.execute(
        "CREATE TABLE typed_tables.main.quarantine (table_name VARCHAR, row_number BIGINT, "
        "column_name VARCHAR, original_header VARCHAR, data_type VARCHAR, original_value VARCHAR)"
    )
    for table in source.tables:
        names = table.normalized
        ddl = ", ".join(
            f"{quote_identifier(n)} {t}" for n, t in zip(names, table.columns.values(), strict=True)
        )
        target = f"typed_tables.typed.{quote_identifier(table.name)}"
        con.execute(f"CREATE TABLE {target} (_row BIGINT, {ddl})")
        if table.rows:
            # Arrow in one go: executemany inserts row by row, ~100x slower.
            data = pa.table(
                {f"c{i}": pa.array([row[i] for row in table.rows]) for i in range(len(names))}
            )
            con.register("__rows", data)
            con.execute(f"INSERT INTO {target} SELECT row_number() OVER (), * FROM __rows")
            con.unregister("__rows")
        con.executemany(
            "INSERT INTO typed_tables.main.type_decisions (table_name, column_name, "
            "original_header, position, data_type, semantic_type) VALUES (?, ?, ?, ?, ?, ?)",
            [
                [table.name, n, h, i, t, "text" if t == "VARCHAR" else "integer"]
                for i, (n, (h, t)) in enumerate(
                    zip(names, table.columns.items(), strict=True), start=1
                )
            ],
        )


def write_csv(folder: Path, source: Source) -> None:
    """Write every table as ``<folder>/<table>.csv`` (empty cell = null)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in source.tables:
        with (folder / f"{table.name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(table.columns))
            for row in table.rows:
                writer.writerow(["" if v is None else _text(v) for v in row])


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


_WORDS = [
    "Amber",
    "Blue",
    "Bright",
    "Cedar",
    "Copper",
    "Crimson",
    "Golden",
    "Green",
    "Hidden",
    "Iron",
    "Lantern",
    "Maple",
    "Marble",
    "Northern",
    "Oak",
    "Quiet",
    "Silver",
    "Stone",
    "Sunny",
    "Willow",
    "Arch",
    "Bear",
    "Bridge",
    "Compass",
    "Crow",
    "Feather",
    "Fox",
    "Harbor",
    "Hollow",
    "Kettle",
    "Lark",
    "Meadow",
    "Mill",
    "Owl",
    "Quill",
    "River",
    "Sparrow",
    "Tide",
    "Tower",
    "Wren",
]


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _unique_phrases(rng: random.Random, count: int, words: int, prefix: str = "") -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[f"{prefix}{_phrase(rng, words)}"] = None
    return list(seen)


def chinook_like(seed: int = 7) -> Source:
    """A music store shaped like Chinook: CamelCase headers, every id a dense 1..N range (so
    genre, media type, album and playlist ids overlap each other), a self-reference
    (``ReportsTo``), a key named after a role (``SupportRepId`` → employees) and a composite
    primary key in ``playlist_track``."""
    rng = random.Random(seed)
    artists = Table(
        "artists",
        {"ArtistId": "BIGINT", "Name": "VARCHAR"},
        [[i, n] for i, n in enumerate(_unique_phrases(rng, 60, 2), 1)],
    )
    albums = Table(
        "albums",
        {"AlbumId": "BIGINT", "Title": "VARCHAR", "ArtistId": "BIGINT"},
        [[i, t, rng.randint(1, 55)] for i, t in enumerate(_unique_phrases(rng, 100, 3), 1)],
    )
    genres = Table(
        "genres",
        {"GenreId": "BIGINT", "Name": "VARCHAR"},
        [[i, f"Genre {n}"] for i, n in enumerate(_unique_phrases(rng, 25, 1), 1)],
    )
    media = Table(
        "media_types",
        {"MediaTypeId": "BIGINT", "Name": "VARCHAR"},
        [[i, f"{n} audio file"] for i, n in enumerate(_WORDS[:5], 1)],
    )
    tracks = Table(
        "tracks",
        {
            "TrackId": "BIGINT",
            "Name": "VARCHAR",
            "AlbumId": "BIGINT",
            "MediaTypeId": "BIGINT",
            "GenreId": "BIGINT",
            "Composer": "VARCHAR",
            "Milliseconds": "BIGINT",
            "Bytes": "BIGINT",
            "UnitPrice": "DECIMAL(4,2)",
        },
        [],
    )
    composers = [f"{rng.choice(_WORDS)}son" for _ in range(40)]
    for track_id in range(1, 801):
        album = track_id if track_id <= 100 else rng.randint(1, 100)
        genre = track_id if track_id <= 25 else rng.randint(1, 25)
        tracks.rows.append(
            [
                track_id,
                _phrase(rng, 3),
                album,
                rng.choice((1, 1, 1, 2, 3, 4, 5)),
                genre,
                rng.choice(composers) if rng.random() < 0.7 else None,
                rng.randint(60_000, 600_000),
                rng.randint(1_000_000, 20_000_000),
                rng.choice((0.99, 1.99)),
            ]
        )
    employees = Table(
        "employees",
        {
            "EmployeeId": "BIGINT",
            "LastName": "VARCHAR",
            "FirstName": "VARCHAR",
            "Title": "VARCHAR",
            "ReportsTo": "BIGINT",
            "City": "VARCHAR",
        },
        [
            [1, "Adams", "Andrew", "General Manager", None, "Edmonton"],
            [2, "Edwards", "Nancy", "Sales Manager", 1, "Calgary"],
            [3, "Peacock", "Jane", "Sales Support Agent", 2, "Calgary"],
            [4, "Park", "Margaret", "Sales Support Agent", 2, "Calgary"],
            [5, "Johnson", "Steve", "Sales Support Agent", 2, "Calgary"],
            [6, "Mitchell", "Michael", "IT Manager", 1, "Calgary"],
            [7, "King", "Robert", "IT Staff", 6, "Lethbridge"],
            [8, "Callahan", "Laura", "IT Staff", 6, "Lethbridge"],
        ],
    )
    cities = ["Berlin", "Paris", "Oslo", "Prague", "Lisbon", "Toronto", "Boston", "Delhi"]
    customers = Table(
        "customers",
        {
            "CustomerId": "BIGINT",
            "FirstName": "VARCHAR",
            "LastName": "VARCHAR",
            "City": "VARCHAR",
            "Email": "VARCHAR",
            "SupportRepId": "BIGINT",
        },
        [
            [
                i,
                rng.choice(_WORDS),
                rng.choice(_WORDS),
                rng.choice(cities),
                f"customer{i}@example.com",
                rng.choice((3, 4, 5)),
            ]
            for i in range(1, 60)
        ],
    )
    invoices = Table(
        "invoices",
        {
            "InvoiceId": "BIGINT",
            "CustomerId": "BIGINT",
            "InvoiceDate": "DATE",
            "BillingCity": "VARCHAR",
            "Total": "DECIMAL(10,2)",
        },
        [],
    )
    start = dt.date(2021, 1, 1)
    for invoice_id in range(1, 413):
        customer = invoice_id if invoice_id <= 59 else rng.randint(1, 59)
        invoices.rows.append(
            [
                invoice_id,
                customer,
                start + dt.timedelta(days=invoice_id * 3),
                customers.rows[customer - 1][3],
                0.0,
            ]
        )
    items = Table(
        "invoice_items",
        {
            "InvoiceLineId": "BIGINT",
            "InvoiceId": "BIGINT",
            "TrackId": "BIGINT",
            "UnitPrice": "DECIMAL(4,2)",
            "Quantity": "BIGINT",
        },
        [],
    )
    for line_id in range(1, 2001):
        invoice = line_id if line_id <= 412 else rng.randint(1, 412)
        track = rng.randint(1, 800)
        items.rows.append([line_id, invoice, track, tracks.rows[track - 1][8], rng.randint(1, 5)])
    playlists = Table(
        "playlists",
        {"PlaylistId": "BIGINT", "Name": "VARCHAR"},
        [[i, n] for i, n in enumerate(_unique_phrases(rng, 18, 2, "List "), 1)],
    )
    pairs = sorted({(rng.randint(1, 18), rng.randint(1, 800)) for _ in range(1500)})
    playlist_track = Table(
        "playlist_track", {"PlaylistId": "BIGINT", "TrackId": "BIGINT"}, [list(p) for p in pairs]
    )
    source = Source(
        "chinook_like",
        [
            artists,
            albums,
            genres,
            media,
            tracks,
            employees,
            customers,
            invoices,
            items,
            playlists,
            playlist_track,
        ],
    )
    for child, column, parent, key in [
        ("albums", "ArtistId", "artists", "ArtistId"),
        ("tracks", "AlbumId", "albums", "AlbumId"),
        ("tracks", "MediaTypeId", "media_types", "MediaTypeId"),
        ("tracks", "GenreId", "genres", "GenreId"),
        ("employees", "ReportsTo", "employees", "EmployeeId"),
        ("customers", "SupportRepId", "employees", "EmployeeId"),
        ("invoices", "CustomerId", "customers", "CustomerId"),
        ("invoice_items", "InvoiceId", "invoices", "InvoiceId"),
        ("invoice_items", "TrackId", "tracks", "TrackId"),
        ("playlist_track", "PlaylistId", "playlists", "PlaylistId"),
        ("playlist_track", "TrackId", "tracks", "TrackId"),
    ]:
        source.add_key(child, [column], parent, [key])
    return source


def nycflights_like(seed: int = 13) -> Source:
    """Flights out of New York shaped like nycflights13: text keys (carrier, airport codes,
    tail numbers), destinations missing from ``airports`` (orphans), ~15% of tail numbers
    missing from ``planes`` plus null tail numbers, and a composite key (origin, time_hour) into
    ``weather``, whose missing hours are orphans of it."""
    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    carriers = sorted({rng.choice(letters) + rng.choice(letters + "9") for _ in range(40)})[:16]
    airlines = Table(
        "airlines",
        {"carrier": "VARCHAR", "name": "VARCHAR"},
        [
            [c, f"{n} Airlines"]
            for c, n in zip(carriers, _unique_phrases(rng, len(carriers), 2), strict=True)
        ],
    )
    codes = {"".join(rng.choice(letters) for _ in range(3)) for _ in range(150)}
    faa = sorted((codes | {"EWR", "JFK", "LGA"}) - {"BQN", "SJU", "STT", "PSE"})
    airports = Table(
        "airports",
        {
            "faa": "VARCHAR",
            "name": "VARCHAR",
            "lat": "DOUBLE",
            "lon": "DOUBLE",
            "alt": "BIGINT",
            "tz": "BIGINT",
        },
        [
            [
                code,
                f"{name} Airport",
                round(rng.uniform(20, 60), 4),
                round(rng.uniform(-160, -70), 4),
                rng.randint(0, 3000),
                rng.choice((-5, -6, -7, -8)),
            ]
            for code, name in zip(faa, _unique_phrases(rng, len(faa), 2), strict=True)
        ],
    )
    tails = sorted(
        {f"N{rng.randint(100, 999)}{rng.choice(letters)}{rng.choice(letters)}" for _ in range(420)}
    )
    known_tails = tails[: int(len(tails) * 0.85)]
    rng.shuffle(known_tails)
    planes = Table(
        "planes",
        {
            "tailnum": "VARCHAR",
            "year": "BIGINT",
            "manufacturer": "VARCHAR",
            "engines": "BIGINT",
            "seats": "BIGINT",
        },
        [
            [
                t,
                rng.choice((None, *range(1990, 2014))),
                rng.choice(("BOEING", "AIRBUS", "EMBRAER")),
                rng.choice((1, 2, 2, 2, 4)),
                rng.randint(20, 400),
            ]
            for t in sorted(known_tails)
        ],
    )
    origins = ("EWR", "JFK", "LGA")
    first_hour = dt.datetime(2013, 1, 1, 0)
    hours = [first_hour + dt.timedelta(hours=h) for h in range(31 * 24)]
    weather = Table(
        "weather",
        {
            "origin": "VARCHAR",
            "year": "BIGINT",
            "month": "BIGINT",
            "day": "BIGINT",
            "hour": "BIGINT",
            "temp": "DOUBLE",
            "wind_dir": "BIGINT",
            "time_hour": "TIMESTAMP",
        },
        [],
    )
    for origin in origins:
        for moment in hours:
            if rng.random() < 0.01:
                continue  # the station missed this hour
            weather.rows.append(
                [
                    origin,
                    2013,
                    1,
                    moment.day,
                    moment.hour,
                    round(rng.uniform(-5, 12), 1),
                    rng.randrange(0, 370, 10),
                    moment,
                ]
            )
    destinations = [code for code in faa if code not in origins]
    destinations = [*rng.sample(destinations, 60), "BQN", "SJU", "STT", "PSE"]
    flights = Table(
        "flights",
        {
            "year": "BIGINT",
            "month": "BIGINT",
            "day": "BIGINT",
            "dep_time": "BIGINT",
            "dep_delay": "BIGINT",
            "carrier": "VARCHAR",
            "flight": "BIGINT",
            "tailnum": "VARCHAR",
            "origin": "VARCHAR",
            "dest": "VARCHAR",
            "distance": "BIGINT",
            "hour": "BIGINT",
            "minute": "BIGINT",
            "time_hour": "TIMESTAMP",
        },
        [],
    )
    for _ in range(3000):
        moment = rng.choice(hours[5:])
        minute = rng.randrange(0, 60, 5)
        tail = None if rng.random() < 0.02 else rng.choice(tails)
        flights.rows.append(
            [
                2013,
                1,
                moment.day,
                moment.hour * 100 + minute,
                rng.randint(-10, 120),
                rng.choice(carriers),
                rng.randint(1, 2500),
                tail,
                rng.choice(origins),
                rng.choice(destinations),
                rng.randint(80, 4000),
                moment.hour,
                minute,
                moment,
            ]
        )
    source = Source("nycflights_like", [airlines, airports, planes, weather, flights])
    source.add_key("flights", ["carrier"], "airlines", ["carrier"])
    source.add_key("flights", ["tailnum"], "planes", ["tailnum"])
    source.add_key("flights", ["origin"], "airports", ["faa"])
    source.add_key("flights", ["dest"], "airports", ["faa"])
    source.add_key("weather", ["origin"], "airports", ["faa"])
    source.add_key("flights", ["origin", "time_hour"], "weather", ["origin", "time_hour"])
    return source


def overlapping_ids(seed: int = 5) -> Source:
    """A retail source built to tempt a naive matcher: products 1..50, stores 1..40, suppliers
    1..30, a quantity 1..20, years, one-letter shift codes that happen to be grades, booleans on
    both sides; real keys include a promotion id with ~15% orphans, a one-letter region code
    and a category self-reference."""
    rng = random.Random(seed)
    regions = Table(
        "regions",
        {"region_code": "VARCHAR", "region_name": "VARCHAR"},
        [["N", "North"], ["S", "South"], ["E", "East"], ["W", "West"]],
    )
    grades = Table(
        "pay_grades",
        {"grade": "VARCHAR", "min_salary": "BIGINT"},
        [[g, 20_000 + 8_000 * i] for i, g in enumerate("ABCDE")],
    )
    suppliers = Table(
        "suppliers",
        {"supplier_id": "BIGINT", "supplier_name": "VARCHAR", "active": "BOOLEAN"},
        [
            [i, n, rng.random() < 0.8]
            for i, n in enumerate(_unique_phrases(rng, 30, 2, "Supplier "), 1)
        ],
    )
    categories = Table(
        "categories",
        {"category_id": "BIGINT", "category_name": "VARCHAR", "parent_category_id": "BIGINT"},
        [[i, f"Category {i}", None if i <= 3 else rng.randint(1, 3)] for i in range(1, 13)],
    )
    products = Table(
        "products",
        {
            "product_id": "BIGINT",
            "product_name": "VARCHAR",
            "category_id": "BIGINT",
            "supplier_id": "BIGINT",
            "launch_year": "BIGINT",
            "discontinued": "BOOLEAN",
        },
        [
            [
                i,
                n,
                rng.randint(4, 12),
                rng.randint(1, 30),
                rng.randint(2015, 2023),
                rng.random() < 0.1,
            ]
            for i, n in enumerate(_unique_phrases(rng, 50, 2, "Product "), 1)
        ],
    )
    stores = Table(
        "stores",
        {
            "store_id": "BIGINT",
            "store_name": "VARCHAR",
            "region_code": "VARCHAR",
            "opened_year": "BIGINT",
            "staff_count": "BIGINT",
        },
        [
            [i, f"Store {i}", rng.choice("NSEW"), rng.randint(2000, 2020), rng.randint(3, 35)]
            for i in range(1, 41)
        ],
    )
    promotions = Table(
        "promotions",
        {"promo_id": "BIGINT", "promo_name": "VARCHAR"},
        [[100 + i, f"Promo {i}"] for i in range(20)],
    )
    sales = Table(
        "sales",
        {
            "sale_id": "BIGINT",
            "store_id": "BIGINT",
            "product_id": "BIGINT",
            "promo_id": "BIGINT",
            "quantity": "BIGINT",
            "year": "BIGINT",
            "shift": "VARCHAR",
            "is_return": "BOOLEAN",
            "amount": "DOUBLE",
        },
        [],
    )
    for sale_id in range(1, 2501):
        promo = None if rng.random() < 0.4 else 100 + rng.randrange(24)  # 120..123: orphans
        sales.rows.append(
            [
                sale_id,
                rng.randint(1, 40),
                rng.randint(1, 50),
                promo,
                rng.randint(1, 20),
                rng.randint(2019, 2023),
                rng.choice("ABC"),
                rng.random() < 0.05,
                round(rng.uniform(1, 500), 2),
            ]
        )
    source = Source(
        "overlapping_ids",
        [regions, grades, suppliers, categories, products, stores, promotions, sales],
    )
    source.add_key("categories", ["parent_category_id"], "categories", ["category_id"])
    source.add_key("products", ["category_id"], "categories", ["category_id"])
    source.add_key("products", ["supplier_id"], "suppliers", ["supplier_id"])
    source.add_key("stores", ["region_code"], "regions", ["region_code"])
    source.add_key("sales", ["store_id"], "stores", ["store_id"])
    source.add_key("sales", ["product_id"], "products", ["product_id"])
    source.add_key("sales", ["promo_id"], "promotions", ["promo_id"])
    return source


SOURCES: dict[str, Callable[[], Source]] = {
    "chinook_like": chinook_like,
    "nycflights_like": nycflights_like,
    "overlapping_ids": overlapping_ids,
}

# The documented keys of examples/acme_books (dataraum_assets/example_data.py's docstring) and
# its injected orphan rows.
ACME_KEYS: dict[ForeignKey, int] = {
    ("employees", ("manager_id",), "employees", ("employee_id",)): 0,
    ("invoices", ("customer_id",), "customers", ("customer_id",)): 2,
    ("invoices", ("sales_rep_id",), "employees", ("employee_id",)): 0,
    ("invoice_lines", ("invoice_number",), "invoices", ("invoice_number",)): 0,
    ("invoice_lines", ("sku",), "products", ("sku",)): 2,
    ("payments", ("invoice_number",), "invoices", ("invoice_number",)): 3,
    ("bills", ("vendor_id",), "vendors", ("vendor_id",)): 0,
    ("bills", ("account_number",), "chart_of_accounts", ("account_number",)): 0,
    ("vendor_payments", ("bill_id",), "bills", ("bill_id",)): 2,
    ("vendor_payments", ("vendor_id",), "vendors", ("vendor_id",)): 0,
    ("journal_lines", ("account_number",), "chart_of_accounts", ("account_number",)): 2,
}


def precision_recall(found: set[ForeignKey], expected: set[ForeignKey]) -> tuple[float, float]:
    """Precision and recall of the accepted keys against the documented ones."""
    true_positives = len(found & expected)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(expected) if expected else 1.0
    return precision, recall
