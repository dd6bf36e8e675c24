"""The CSV inbox's pure logic: scanning, the cursor, the diff, fingerprints and snapshots."""

import errno
import hashlib
import os
from pathlib import Path

import pytest

import dataraum_assets.inbox as inbox_module
from dataraum_assets.inbox import (
    ActiveRun,
    FileState,
    IgnoredEntry,
    InboxCursor,
    InboxEntry,
    InboxOptions,
    InboxScan,
    KnownFile,
    SourceChangedError,
    SourceCursor,
    SourceDecision,
    advance_cursor,
    diff_inbox,
    evaluate_inbox,
    files_to_hash,
    fingerprint,
    prune_snapshots,
    scan_inbox,
    snapshot_source,
)
from dataraum_assets.sources import get_source
from dataraum_assets.warehouse import WarehouseLayout

SHA_A = "a" * 64
SHA_B = "b" * 64


def _entry(source: str, *files: FileState, is_folder: bool = True) -> InboxEntry:
    return InboxEntry(source, source, Path("/inbox") / source, is_folder, files)


def _scan(*entries: InboxEntry) -> InboxScan:
    return InboxScan(entries=entries, ignored=())


def _seen(*files: FileState, requested: str | None = None, **hashes: str) -> SourceCursor:
    """A cursor entry that saw ``files``; keyword arguments give cached hashes by stem."""
    return SourceCursor(
        files=tuple(
            KnownFile(item.name, item.size, item.mtime_ns, hashes.get(Path(item.name).stem))
            for item in files
        ),
        requested=requested,
    )


ORDERS = FileState("orders.csv", 10, 1_000)
ITEMS = FileState("items.csv", 20, 1_000)


# --- scanning -------------------------------------------------------------------------------


def test_scan_finds_folders_and_loose_files_and_says_what_it_ignores(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "My Shop" / "nested").mkdir(parents=True)
    (inbox / "My Shop" / "orders.csv").write_text("id\n1\n")
    (inbox / "My Shop" / "Items.TSV").write_text("id\n1\n")
    (inbox / "My Shop" / "dataraum.yaml").write_text("raw_tables: {}\n")
    # The source's own checks are configuration too: fingerprinted and snapshotted, not a table.
    (inbox / "My Shop" / "dataraum_checks.yaml").write_text("checks: []\n")
    (inbox / "My Shop" / "notes.txt").write_text("x")
    (inbox / "My Shop" / ".hidden.csv").write_text("x")
    (inbox / "Sales 2024.csv").write_text("a,b\n1,2\n")
    (inbox / "sales_2024").mkdir()  # same source name as the loose file: ignored
    (inbox / "readme.md").write_text("x")
    (inbox / ".partial").mkdir()
    (inbox / "link.csv").symlink_to(inbox / "Sales 2024.csv")
    for path in inbox.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, ns=(5_000, 5_000))

    scan = scan_inbox(inbox)

    assert scan.entries == (
        InboxEntry(
            "my_shop",
            "My Shop",
            inbox / "My Shop",
            True,
            (
                FileState("Items.TSV", 5, 5_000),
                FileState("dataraum.yaml", 15, 5_000),
                FileState("dataraum_checks.yaml", 11, 5_000),
                FileState("orders.csv", 5, 5_000),
            ),
        ),
        InboxEntry(
            "sales_2024",
            "Sales 2024.csv",
            inbox / "Sales 2024.csv",
            False,
            (FileState("Sales 2024.csv", 8, 5_000),),
        ),
    )
    assert scan.entries[0].tables == (
        FileState("Items.TSV", 5, 5_000),
        FileState("orders.csv", 5, 5_000),
    )
    assert scan.entries[1].file_path("Sales 2024.csv") == inbox / "Sales 2024.csv"
    assert scan.ignored == (
        IgnoredEntry("My Shop/nested", "folders inside a source are not read"),
        IgnoredEntry("My Shop/notes.txt", "not a .csv or .tsv file"),
        IgnoredEntry("link.csv", "symbolic links are not followed"),
        IgnoredEntry("readme.md", "not a folder or a .csv or .tsv file"),
        IgnoredEntry(
            "sales_2024",
            "its source name 'sales_2024' is already taken by 'Sales 2024.csv'; rename one of them",
        ),
    )


# --- the cursor -----------------------------------------------------------------------------


def test_cursor_round_trips_through_json() -> None:
    cursor = InboxCursor(
        sources={
            "shop": SourceCursor(
                files=(KnownFile("orders.csv", 10, 1_000, SHA_A), KnownFile("x.csv", 1, 2)),
                requested="0123456789abcdef",
                invalid="fedcba9876543210",
                invalid_reason="bad yaml",
            )
        },
        ignored=frozenset({"notes.txt"}),
    )
    text = cursor.to_json()
    assert InboxCursor.from_json(text) == cursor
    assert text.startswith('{"version":1,"sources":{"shop":{"files":[["orders.csv",10,1000,')


@pytest.mark.parametrize("text", ["not json", "[]", '{"version": 2}', '{"version": 1}'])
def test_unreadable_cursor_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a csv inbox cursor"):
        InboxCursor.from_json(text)


def test_no_cursor_is_an_empty_cursor() -> None:
    assert InboxCursor.from_json(None) == InboxCursor()
    assert InboxCursor.from_json("") == InboxCursor()


# --- fingerprints ---------------------------------------------------------------------------


def test_fingerprint_hashes_names_sizes_and_content_in_any_order() -> None:
    files = [("a.csv", 3, "aa"), ("b.csv", 4, "bb")]
    assert fingerprint(files) == "13d9a2bcf4291a61"
    assert fingerprint(reversed(files)) == "13d9a2bcf4291a61"
    expected = hashlib.sha256(b"a.csv\x003\x00aa\nb.csv\x004\x00bb\n").hexdigest()[:16]
    assert fingerprint(files) == expected
    assert fingerprint([("a.csv", 3, "aa"), ("b.csv", 4, "bc")]) != expected
    assert fingerprint([("a.csv", 3, "aa"), ("c.csv", 4, "bb")]) != expected


# --- the diff -------------------------------------------------------------------------------


def test_new_source_waits_one_tick() -> None:
    assert diff_inbox(_scan(_entry("shop", ORDERS)), InboxCursor(), {}) == (
        SourceDecision(
            "shop", "shop", "waiting", "new; waiting one tick for its files to stop changing"
        ),
    )


def test_changed_files_wait_and_are_named() -> None:
    cursor = InboxCursor(sources={"shop": _seen(ORDERS, FileState("gone.csv", 1, 1))})
    grown = FileState("orders.csv", 12, 2_000)
    assert diff_inbox(_scan(_entry("shop", grown, ITEMS)), cursor, {}) == (
        SourceDecision(
            "shop",
            "shop",
            "waiting",
            "changed since the last tick (orders.csv, items.csv, gone.csv (removed)); "
            "waiting for it to settle",
        ),
    )


def test_a_touched_file_waits_even_with_the_same_size() -> None:
    cursor = InboxCursor(sources={"shop": _seen(ORDERS, orders=SHA_A)})
    touched = FileState("orders.csv", 10, 1_001)
    [decision] = diff_inbox(_scan(_entry("shop", touched)), cursor, {})
    assert decision.status == "waiting"


def test_stable_source_is_requested_with_its_fingerprint() -> None:
    cursor = InboxCursor(sources={"shop": _seen(ORDERS, ITEMS, orders=SHA_A)})
    scan = _scan(_entry("shop", ORDERS, ITEMS))
    expected = fingerprint([("orders.csv", 10, SHA_A), ("items.csv", 20, SHA_B)])
    assert diff_inbox(scan, cursor, {("shop", "items.csv"): SHA_B}) == (
        SourceDecision("shop", "shop", "requested", "2 files, 30 bytes", expected),
    )
    # Without the missing hash the source waits for the next tick's budget.
    assert diff_inbox(scan, cursor, {}) == (
        SourceDecision(
            "shop",
            "shop",
            "hashing",
            "1 of 2 files still to hash (this tick's hashing budget is spent)",
        ),
    )


def test_identical_content_is_never_requested_twice() -> None:
    content = fingerprint([("orders.csv", 10, SHA_A)])
    cursor = InboxCursor(sources={"shop": _seen(ORDERS, requested=content, orders=SHA_A)})
    assert diff_inbox(_scan(_entry("shop", ORDERS)), cursor, {}) == (
        SourceDecision(
            "shop", "shop", "unchanged", f"fingerprint {content} was already requested", content
        ),
    )


def test_new_content_waits_while_a_run_of_the_source_is_in_flight() -> None:
    cursor = InboxCursor(sources={"shop": _seen(ORDERS, requested="old", orders=SHA_A)})
    content = fingerprint([("orders.csv", 10, SHA_A)])
    active = [ActiveRun("other", "r0", "STARTED"), ActiveRun("shop", "r1", "QUEUED", "old")]
    assert diff_inbox(_scan(_entry("shop", ORDERS)), cursor, {}, active) == (
        SourceDecision(
            "shop",
            "shop",
            "busy",
            f"new content {content}; run r1 of this source is QUEUED, the new content is "
            "requested once it has finished",
            content,
        ),
    )


def test_too_large_and_empty_sources_are_skipped() -> None:
    scan = _scan(
        _entry("big", FileState("huge.csv", 101, 1)),
        _entry("loose", FileState("loose.csv", 101, 1), is_folder=False),
        _entry("settings_only", FileState("dataraum.yaml", 5, 1)),
    )
    assert diff_inbox(scan, InboxCursor(), {}, max_file_bytes=100) == (
        SourceDecision(
            "big",
            "big",
            "too_large",
            "big/huge.csv is 101 bytes, over the limit of 100 bytes "
            "(CsvInboxResource.max_file_bytes); the source is skipped",
        ),
        SourceDecision(
            "loose",
            "loose",
            "too_large",
            "loose.csv is 101 bytes, over the limit of 100 bytes "
            "(CsvInboxResource.max_file_bytes); the source is skipped",
        ),
        SourceDecision("settings_only", "settings_only", "no_tables", "no .csv or .tsv files"),
    )


def test_invalid_content_is_remembered_until_it_changes() -> None:
    content = fingerprint([("orders.csv", 10, SHA_A)])
    cursor = InboxCursor(
        sources={
            "shop": SourceCursor(
                files=(KnownFile("orders.csv", 10, 1_000, SHA_A),),
                invalid=content,
                invalid_reason="dataraum.yaml: bad",
            )
        }
    )
    assert diff_inbox(_scan(_entry("shop", ORDERS)), cursor, {}) == (
        SourceDecision("shop", "shop", "invalid", "dataraum.yaml: bad", content),
    )


def test_hashing_budget_takes_stable_files_in_order_and_at_least_one() -> None:
    a = FileState("a.csv", 60, 1)
    b = FileState("b.csv", 50, 1)
    c = FileState("c.csv", 10, 1)
    scan = _scan(_entry("first", a, b), _entry("new", c), _entry("second", c))
    cursor = InboxCursor(sources={"first": _seen(a, b), "second": _seen(c)})
    first, _, second = scan.entries
    assert files_to_hash(scan, cursor, None, budget_bytes=100) == ((first, a),)
    assert files_to_hash(scan, cursor, None, budget_bytes=120) == (
        (first, a),
        (first, b),
        (second, c),
    )
    assert files_to_hash(scan, cursor, None, budget_bytes=1) == ((first, a),)
    cached = InboxCursor(sources={"first": _seen(a, b, a=SHA_A, b=SHA_B), "second": _seen(c)})
    assert files_to_hash(scan, cached, None, budget_bytes=1) == ((second, c),)
    assert files_to_hash(scan, cursor, max_file_bytes=55, budget_bytes=100) == ((second, c),)


def test_advance_cursor_keeps_hashes_and_records_requests() -> None:
    scan = InboxScan(
        entries=(_entry("shop", ORDERS, ITEMS), _entry("other", ORDERS)),
        ignored=(IgnoredEntry("x.txt", "not a .csv or .tsv file"),),
    )
    cursor = InboxCursor(
        sources={
            "shop": _seen(ORDERS, FileState("items.csv", 5, 1), requested="old", orders=SHA_A),
            "gone": _seen(ORDERS),
        },
        ignored=frozenset({"y.txt"}),
    )
    decisions = (
        SourceDecision("shop", "shop", "requested", "", "new"),
        SourceDecision("other", "other", "waiting", "new"),
    )
    assert advance_cursor(scan, cursor, {("shop", "items.csv"): SHA_B}, decisions) == InboxCursor(
        sources={
            "shop": SourceCursor(
                files=(
                    KnownFile("orders.csv", 10, 1_000, SHA_A),
                    KnownFile("items.csv", 20, 1_000, SHA_B),
                ),
                requested="new",
            ),
            "other": SourceCursor(files=(KnownFile("orders.csv", 10, 1_000),)),
        },
        ignored=frozenset({"x.txt"}),
    )


# --- snapshots ------------------------------------------------------------------------------


def _folder_entry(folder: Path, source: str) -> InboxEntry:
    [entry] = [item for item in scan_inbox(folder.parent).entries if item.source == source]
    return entry


def test_snapshot_hard_links_on_the_same_filesystem(tmp_path: Path) -> None:
    (tmp_path / "inbox" / "shop").mkdir(parents=True)
    (tmp_path / "inbox" / "shop" / "orders.csv").write_text("id\n1\n")
    entry = _folder_entry(tmp_path / "inbox" / "shop", "shop")

    folder = snapshot_source(entry, "f1", tmp_path / "snapshots")

    assert folder == tmp_path / "snapshots" / "shop" / "f1"
    assert sorted(path.name for path in (tmp_path / "snapshots" / "shop").iterdir()) == ["f1"]
    original = (tmp_path / "inbox" / "shop" / "orders.csv").stat()
    assert (folder / "orders.csv").stat().st_ino == original.st_ino
    # The same fingerprint again reuses the folder.
    assert snapshot_source(entry, "f1", tmp_path / "snapshots") == folder


def test_snapshot_copies_when_links_are_impossible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "Sales.csv").write_text("a,b\n1,2\n")
    entry = _folder_entry(tmp_path / "inbox" / "Sales.csv", "sales")

    def cross_device(source: Path, target: Path) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(inbox_module.os, "link", cross_device)
    folder = snapshot_source(entry, "f1", tmp_path / "snapshots")

    copy = folder / "Sales.csv"
    assert copy.read_text() == "a,b\n1,2\n"
    assert copy.stat().st_ino != (tmp_path / "inbox" / "Sales.csv").stat().st_ino


def test_snapshot_of_a_file_that_changed_since_the_scan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "inbox" / "shop").mkdir(parents=True)
    path = tmp_path / "inbox" / "shop" / "orders.csv"
    path.write_text("id\n1\n")
    entry = _folder_entry(path.parent, "shop")
    path.write_text("id\n1\n2\n")

    with pytest.raises(SourceChangedError, match=r"orders\.csv changed"):
        snapshot_source(entry, "f1", tmp_path / "snapshots")
    assert list((tmp_path / "snapshots" / "shop").iterdir()) == []


def test_prune_keeps_the_newest_and_the_protected(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    for age, name in enumerate(["e", "d", "c", "b", "a"]):  # "e" newest
        (folder / name).mkdir(parents=True)
        os.utime(folder / name, ns=(10_000 - age, 10_000 - age))
    (folder / ".x.123.tmp").mkdir()  # an interrupted snapshot

    assert prune_snapshots(folder, keep=3, protected={"a"}) == ("b",)
    assert sorted(path.name for path in folder.iterdir()) == ["a", "c", "d", "e"]
    assert prune_snapshots(folder, keep=1) == ("a", "c", "d")
    assert prune_snapshots(tmp_path / "missing", keep=1) == ()


# --- one tick -------------------------------------------------------------------------------


def _options(tmp_path: Path, **overrides: object) -> InboxOptions:
    return InboxOptions(
        inbox_dir=tmp_path / "data" / "inbox",
        data_dir=tmp_path / "data",
        **overrides,  # type: ignore[arg-type]
    )


def test_a_tick_registers_the_snapshot_and_prunes_old_ones(tmp_path: Path) -> None:
    options = _options(tmp_path, keep_snapshots=2)
    path = options.inbox_dir / "shop" / "orders.csv"
    path.parent.mkdir(parents=True)
    cursor = InboxCursor()
    requested = []
    for version in range(4):
        temp = path.with_name(".orders.tmp")
        temp.write_text(f"id\n{version}\n")
        os.replace(temp, path)  # replaced, not rewritten in place, as editors and rsync do
        waiting = evaluate_inbox(options, cursor)
        assert [item.status for item in waiting.decisions] == ["waiting"]
        tick = evaluate_inbox(options, waiting.cursor)
        [decision] = tick.requested
        assert decision.fingerprint is not None
        requested.append(decision.fingerprint)
        cursor = tick.cursor
        sha = hashlib.sha256(f"id\n{version}\n".encode()).hexdigest()
        assert decision.fingerprint == fingerprint([("orders.csv", 5, sha)])
        source = get_source(WarehouseLayout(options.data_dir), "shop")
        assert source.folder == options.data_dir / "snapshots" / "shop" / decision.fingerprint
        assert (source.folder / "orders.csv").read_text() == f"id\n{version}\n"
    kept = sorted(path.name for path in (options.data_dir / "snapshots" / "shop").iterdir())
    assert kept == sorted(requested[-2:])
    assert len(set(requested)) == 4


def test_broken_settings_are_reported_once_per_content(tmp_path: Path) -> None:
    options = _options(tmp_path)
    folder = options.inbox_dir / "shop"
    folder.mkdir(parents=True)
    (folder / "orders.csv").write_text("id\n1\n")
    (folder / "dataraum.yaml").write_text("raw_tables:\n  no_such_setting: 1\n")
    first = evaluate_inbox(options, InboxCursor())
    second = evaluate_inbox(options, first.cursor)
    [decision] = second.decisions
    assert decision.status == "invalid"
    assert "dataraum.yaml: raw_tables.no_such_setting: Extra inputs are not permitted" in (
        decision.detail
    )
    assert not (options.data_dir / "snapshots").exists()
    third = evaluate_inbox(options, second.cursor)
    assert third.decisions == second.decisions
    assert third.summary() == f"csv inbox {options.inbox_dir}: invalid 1 (shop)"


def test_missing_or_overlapping_inbox_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    cursor = InboxCursor(sources={"shop": _seen(ORDERS)})
    missing = evaluate_inbox(_options(tmp_path), cursor)
    assert missing.cursor == cursor
    assert missing.summary() == (
        f"the inbox {tmp_path / 'data' / 'inbox'} does not exist; create it and drop folders "
        "of CSV files (or single CSV files) into it"
    )
    (tmp_path / "data").mkdir()
    overlapping = evaluate_inbox(InboxOptions(tmp_path / "data", tmp_path / "data"), cursor)
    assert overlapping.cursor == cursor
    assert overlapping.problem is not None and "overlaps the snapshots folder" in (
        overlapping.problem
    )


def test_unreadable_or_changing_files_affect_only_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _options(tmp_path)
    for name in ["locked", "growing", "fine"]:
        (options.inbox_dir / name).mkdir(parents=True)
        (options.inbox_dir / name / "data.csv").write_text("id\n1\n")
    first = evaluate_inbox(options, InboxCursor())
    real_hash = inbox_module.hash_file

    def flaky_hash(path: Path) -> str:
        if path.parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        if path.parent.name == "growing":
            with open(path, "a") as handle:  # a writer appends while the tick reads
                handle.write("2\n")
        return real_hash(path)

    monkeypatch.setattr(inbox_module, "hash_file", flaky_hash)
    second = evaluate_inbox(options, first.cursor)
    assert [(item.source, item.status) for item in second.decisions] == [
        ("fine", "requested"),
        ("growing", "waiting"),
        ("locked", "error"),
    ]
    locked = second.decisions[2]
    assert locked.detail.startswith("cannot read data.csv: [Errno 13] Permission denied")

    monkeypatch.setattr(inbox_module, "hash_file", real_hash)
    third = evaluate_inbox(options, second.cursor)
    assert [(item.source, item.status) for item in third.decisions] == [
        ("fine", "unchanged"),
        ("growing", "requested"),
        ("locked", "requested"),
    ]
    growing = get_source(WarehouseLayout(options.data_dir), "growing").folder
    assert (growing / "data.csv").read_text() == "id\n1\n2\n"
