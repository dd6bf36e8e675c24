"""The CSV inbox: which sources to ingest, decided from the inbox folder and a cursor.

No Dagster here: ``dataraum_assets/sensors/csv_inbox.py`` reads its cursor, calls
:func:`evaluate_inbox` and turns the requested sources into run requests.

- Each sub-folder of the inbox is a source (its ``.csv``/``.tsv`` files and ``dataraum.yaml``,
  not nested folders); a loose ``.csv``/``.tsv`` file is a source of one table. Names come
  from :func:`~dataraum_assets.identifiers.source_name_for`. Hidden entries (``.name``) are
  skipped silently, everything else that is not read is reported as ignored with the reason.
- **Stable before ingested.** A source whose files (names, sizes, mtimes) differ from those
  seen on the previous tick is still being written: it waits. So a new source is requested on
  the tick after its files were first seen unchanged.
- **Content fingerprint.** A stable source's fingerprint hashes each file's name, size and
  sha256. A file's sha256 is cached in the cursor under its (size, mtime), so it is read once,
  not on every tick, and one tick hashes at most a byte budget (the rest waits for the next
  tick) so that a large drop never makes the tick time out.
- **Requested once per content.** A run is requested when the fingerprint differs from the last
  one requested for the source and no run of the source is queued or running (that run read
  the registered folder; re-pointing the registry under it would make it read other content).
- **Snapshots.** Before a request the source's files are linked (hard links on the same
  filesystem, else copied) into ``<data_dir>/snapshots/<source>/<fingerprint>/`` and that
  folder is registered as the source, so the run reads exactly the fingerprinted files however
  the inbox changes meanwhile. A hard link shares the file with the inbox: tools that replace a
  file (write a new one and rename it, as editors, rsync and downloads do) leave the snapshot
  intact; rewriting an inbox file in place while its run reads it changes what the run reads
  (the history records the sha256 each run actually read, and the changed file is requested
  again). The newest ``keep_snapshots`` snapshots of a source and those of in-flight runs are
  kept, older ones deleted.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from dataraum_assets.identifiers import source_name_for
from dataraum_assets.sources import (
    CSV_SUFFIXES,
    SOURCE_CONFIG_FILES,
    SourceError,
    load_settings,
    register_source,
)
from dataraum_assets.warehouse import WarehouseLayout

CURSOR_VERSION = 1
FINGERPRINT_LENGTH = 16  # hex digits: 64 bits, ample to tell one source's versions apart
_HASH_CHUNK = 1024 * 1024

Status = Literal[
    "requested",  # a run is requested for this content
    "unchanged",  # stable, and this content was already requested
    "waiting",  # new or changed since the last tick: files may still be being written
    "hashing",  # stable, but this tick's hashing budget ran out before all its files
    "busy",  # new content, but a run of the source is still queued or running
    "too_large",  # a file is over the size limit: the source is skipped
    "no_tables",  # no .csv/.tsv file in the folder
    "invalid",  # this content cannot be registered (e.g. a broken dataraum.yaml)
    "error",  # the files could not be read or snapshotted; retried next tick
]


class SourceChangedError(Exception):
    """A file changed or vanished while it was hashed or snapshotted."""


# --- what the inbox holds -------------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    name: str  # file name inside the source folder (a loose file: its own name)
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class InboxEntry:
    """A source found in the inbox: a sub-folder or a loose CSV/TSV file."""

    source: str
    entry: str  # the sub-folder's or loose file's name in the inbox
    path: Path
    is_folder: bool
    files: tuple[FileState, ...]  # sorted by name; CSV/TSV files and the source's config files

    def file_path(self, name: str) -> Path:
        return self.path / name if self.is_folder else self.path

    @property
    def tables(self) -> tuple[FileState, ...]:
        return tuple(item for item in self.files if item.name not in SOURCE_CONFIG_FILES)


@dataclass(frozen=True)
class IgnoredEntry:
    path: str  # relative to the inbox
    reason: str


@dataclass(frozen=True)
class InboxScan:
    entries: tuple[InboxEntry, ...]
    ignored: tuple[IgnoredEntry, ...]


def _is_table_file(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


def _scan_folder(folder: Path) -> tuple[tuple[FileState, ...], list[IgnoredEntry]]:
    files: list[FileState] = []
    ignored: list[IgnoredEntry] = []
    for child in sorted(folder.iterdir(), key=lambda item: item.name):
        relative = f"{folder.name}/{child.name}"
        if child.name.startswith("."):
            continue
        if child.is_symlink():
            ignored.append(IgnoredEntry(relative, "symbolic links are not followed"))
        elif child.is_dir():
            ignored.append(IgnoredEntry(relative, "folders inside a source are not read"))
        elif child.is_file() and (_is_table_file(child) or child.name in SOURCE_CONFIG_FILES):
            stat = child.stat()
            files.append(FileState(child.name, stat.st_size, stat.st_mtime_ns))
        else:
            ignored.append(IgnoredEntry(relative, "not a .csv or .tsv file"))
    return tuple(files), ignored


def scan_inbox(inbox_dir: Path) -> InboxScan:
    """Every source in ``inbox_dir`` with its files' sizes and mtimes, and what is ignored.

    Two entries whose names give the same source name: the first in name order wins, the
    other is ignored with the reason.
    """
    entries: list[InboxEntry] = []
    ignored: list[IgnoredEntry] = []
    taken: dict[str, str] = {}
    for item in sorted(inbox_dir.iterdir(), key=lambda path: path.name):
        if item.name.startswith("."):
            continue
        try:
            if item.is_symlink():
                ignored.append(IgnoredEntry(item.name, "symbolic links are not followed"))
                continue
            if item.is_dir():
                files, skipped = _scan_folder(item)
                ignored.extend(skipped)
                source, is_folder = source_name_for(item.name), True
            elif item.is_file() and _is_table_file(item):
                stat = item.stat()
                files = (FileState(item.name, stat.st_size, stat.st_mtime_ns),)
                source, is_folder = source_name_for(item.stem), False
            else:
                ignored.append(IgnoredEntry(item.name, "not a folder or a .csv or .tsv file"))
                continue
        except FileNotFoundError:
            continue  # removed while we looked: it is simply gone
        except OSError as error:
            ignored.append(IgnoredEntry(item.name, f"cannot be read: {error}"))
            continue
        if source in taken:
            ignored.append(
                IgnoredEntry(
                    item.name,
                    f"its source name {source!r} is already taken by {taken[source]!r}; "
                    "rename one of them",
                )
            )
            continue
        taken[source] = item.name
        entries.append(InboxEntry(source, item.name, item, is_folder, files))
    return InboxScan(entries=tuple(entries), ignored=tuple(ignored))


# --- the cursor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownFile:
    name: str
    size: int
    mtime_ns: int
    sha256: str | None = None  # the content hash at exactly this size and mtime, once computed

    @property
    def state(self) -> FileState:
        return FileState(self.name, self.size, self.mtime_ns)


@dataclass(frozen=True)
class SourceCursor:
    files: tuple[KnownFile, ...] = ()  # as seen on the last tick
    requested: str | None = None  # fingerprint of the last requested run
    invalid: str | None = None  # fingerprint that could not be registered, not retried ...
    invalid_reason: str | None = None  # ... until the content changes


@dataclass(frozen=True)
class InboxCursor:
    """The sensor's memory between ticks, stored as JSON in the sensor cursor."""

    sources: Mapping[str, SourceCursor] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()  # inbox paths already reported as ignored

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "sources": {
                    name: {
                        "files": [
                            [item.name, item.size, item.mtime_ns, item.sha256]
                            for item in state.files
                        ],
                        "requested": state.requested,
                        "invalid": state.invalid,
                        "invalid_reason": state.invalid_reason,
                    }
                    for name, state in sorted(self.sources.items())
                },
                "ignored": sorted(self.ignored),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> "InboxCursor":
        """Parse a cursor written by :meth:`to_json`; no cursor yet gives an empty one.

        Raises ``ValueError`` for anything else, naming what is wrong.
        """
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("version") != CURSOR_VERSION:
                raise ValueError(f"unknown cursor version {data.get('version')!r}")
            sources = {
                str(name): SourceCursor(
                    files=tuple(
                        KnownFile(str(item[0]), int(item[1]), int(item[2]), item[3])
                        for item in state["files"]
                    ),
                    requested=state.get("requested"),
                    invalid=state.get("invalid"),
                    invalid_reason=state.get("invalid_reason"),
                )
                for name, state in data["sources"].items()
            }
            return cls(sources=sources, ignored=frozenset(str(path) for path in data["ignored"]))
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as error:
            raise ValueError(f"not a csv inbox cursor: {error!r}") from error


# --- the diff (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveRun:
    """A queued or running run of a source (from the run's tags)."""

    source: str
    run_id: str
    status: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class SourceDecision:
    source: str
    entry: str
    status: Status
    detail: str
    fingerprint: str | None = None
    folder: Path | None = None  # the registered snapshot, when requested

    @property
    def message(self) -> str:
        return f"source {self.source!r} ({self.entry}): {self.status}: {self.detail}"


def fingerprint(files: Iterable[tuple[str, int, str]]) -> str:
    """The content fingerprint of (name, size, sha256) triples, in any order."""
    digest = hashlib.sha256()
    for name, size, sha256 in sorted(files):
        digest.update(f"{name}\0{size}\0{sha256}\n".encode())
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def _cached_hashes(entry: InboxEntry, previous: SourceCursor | None) -> dict[str, str]:
    if previous is None:
        return {}
    current = set(entry.files)
    return {
        item.name: item.sha256
        for item in previous.files
        if item.sha256 is not None and item.state in current
    }


def _unsettled(
    entry: InboxEntry, previous: SourceCursor | None, max_file_bytes: int | None
) -> tuple[Status, str] | None:
    """Why ``entry`` cannot be fingerprinted this tick, or None when it is stable."""
    if not entry.tables:
        return "no_tables", "no .csv or .tsv files"
    if max_file_bytes is not None:
        for item in entry.tables:
            if item.size > max_file_bytes:
                path = f"{entry.entry}/{item.name}" if entry.is_folder else item.name
                return (
                    "too_large",
                    f"{path} is {item.size:,} bytes, over the limit of {max_file_bytes:,} "
                    "bytes (CsvInboxResource.max_file_bytes); the source is skipped",
                )
    if previous is None:
        return "waiting", "new; waiting one tick for its files to stop changing"
    before = {item.name: item.state for item in previous.files}
    changed = [item.name for item in entry.files if before.get(item.name) != item]
    removed = sorted(set(before) - {item.name for item in entry.files})
    if changed or removed:
        names = ", ".join([*changed, *(f"{name} (removed)" for name in removed)])
        return "waiting", f"changed since the last tick ({names}); waiting for it to settle"
    return None


def files_to_hash(
    scan: InboxScan, cursor: InboxCursor, max_file_bytes: int | None, budget_bytes: int
) -> tuple[tuple[InboxEntry, FileState], ...]:
    """Files of stable sources without a cached hash, in scan order, within ``budget_bytes``
    (at least one file, so that a file larger than the budget is still hashed)."""
    planned: list[tuple[InboxEntry, FileState]] = []
    total = 0
    for entry in scan.entries:
        previous = cursor.sources.get(entry.source)
        if _unsettled(entry, previous, max_file_bytes) is not None:
            continue
        cached = _cached_hashes(entry, previous)
        for item in entry.files:
            if item.name in cached:
                continue
            if planned and total + item.size > budget_bytes:
                return tuple(planned)
            planned.append((entry, item))
            total += item.size
    return tuple(planned)


def diff_inbox(
    scan: InboxScan,
    cursor: InboxCursor,
    hashes: Mapping[tuple[str, str], str],
    active_runs: Sequence[ActiveRun] = (),
    max_file_bytes: int | None = None,
) -> tuple[SourceDecision, ...]:
    """What to do with each source of ``scan``, given the previous tick's ``cursor``.

    ``hashes`` maps (source, file name) to the sha256 computed this tick for the size and mtime
    in ``scan``; hashes cached in the cursor are used for the other files. A ``requested``
    decision carries the fingerprint to request (the caller snapshots and registers it).
    """
    active: dict[str, ActiveRun] = {}
    for run in active_runs:
        active.setdefault(run.source, run)
    decisions: list[SourceDecision] = []
    for entry in scan.entries:
        previous = cursor.sources.get(entry.source)
        unsettled = _unsettled(entry, previous, max_file_bytes)
        if unsettled is not None:
            decisions.append(SourceDecision(entry.source, entry.entry, *unsettled))
            continue
        assert previous is not None  # a source seen for the first time is unsettled
        known = _cached_hashes(entry, previous)
        known.update(
            {
                item.name: hashes[key]
                for item in entry.files
                if (key := (entry.source, item.name)) in hashes
            }
        )
        missing = [item.name for item in entry.files if item.name not in known]
        if missing:
            decisions.append(
                SourceDecision(
                    entry.source,
                    entry.entry,
                    "hashing",
                    f"{len(missing)} of {len(entry.files)} files still to hash "
                    "(this tick's hashing budget is spent)",
                )
            )
            continue
        content = fingerprint((item.name, item.size, known[item.name]) for item in entry.files)
        if content == previous.requested:
            status, detail = "unchanged", f"fingerprint {content} was already requested"
        elif content == previous.invalid:
            status, detail = "invalid", previous.invalid_reason or "cannot be registered"
        elif entry.source in active:
            run = active[entry.source]
            status, detail = (
                "busy",
                f"new content {content}; run {run.run_id} of this source is {run.status}, "
                "the new content is requested once it has finished",
            )
        else:
            size = sum(item.size for item in entry.tables)
            status, detail = "requested", f"{len(entry.tables)} files, {size:,} bytes"
        decisions.append(SourceDecision(entry.source, entry.entry, status, detail, content))
    return tuple(decisions)


def advance_cursor(
    scan: InboxScan,
    cursor: InboxCursor,
    hashes: Mapping[tuple[str, str], str],
    decisions: Sequence[SourceDecision],
) -> InboxCursor:
    """The cursor for the next tick: this tick's file states and hashes, and what was
    requested. Sources gone from the inbox are forgotten."""
    by_source = {decision.source: decision for decision in decisions}
    sources: dict[str, SourceCursor] = {}
    for entry in scan.entries:
        previous = cursor.sources.get(entry.source) or SourceCursor()
        cached = _cached_hashes(entry, previous)
        files = tuple(
            KnownFile(
                item.name,
                item.size,
                item.mtime_ns,
                hashes.get((entry.source, item.name)) or cached.get(item.name),
            )
            for item in entry.files
        )
        state = replace(previous, files=files)
        decision = by_source.get(entry.source)
        if decision is not None and decision.status == "requested":
            state = replace(
                state, requested=decision.fingerprint, invalid=None, invalid_reason=None
            )
        elif decision is not None and decision.status == "invalid" and decision.fingerprint:
            state = replace(state, invalid=decision.fingerprint, invalid_reason=decision.detail)
        sources[entry.source] = state
    return InboxCursor(sources=sources, ignored=frozenset(item.path for item in scan.ignored))


# --- files: hashing, snapshots --------------------------------------------------------------


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def snapshots_root(data_dir: Path) -> Path:
    return data_dir / "snapshots"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:
        # Another filesystem (EXDEV) or one without hard links: a real copy.
        shutil.copyfile(source, target)


def _matches(folder: Path, files: Sequence[FileState]) -> bool:
    try:
        present = {
            child.name: child.stat().st_size
            for child in folder.iterdir()
            if not child.name.startswith(".")
        }
    except OSError:
        return False
    return present == {item.name: item.size for item in files}


def snapshot_source(entry: InboxEntry, content: str, root: Path) -> Path:
    """Link (else copy) ``entry``'s files into ``<root>/<source>/<content>/`` and return it.

    The folder appears complete or not at all (built under a temporary name, then renamed).
    An existing snapshot of the same fingerprint is reused and marked newest. Raises
    :class:`SourceChangedError` when a file changed or vanished since it was scanned.
    """
    target = root / entry.source / content
    if target.is_dir():
        if _matches(target, entry.files):
            os.utime(target)
            return target
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{content}.{uuid.uuid4().hex}.tmp")
    temp.mkdir()
    try:
        for item in entry.files:
            path = entry.file_path(item.name)
            try:
                _link_or_copy(path, temp / item.name)
                stat = path.stat()
            except FileNotFoundError as error:
                raise SourceChangedError(f"{item.name} vanished") from error
            if (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns):
                raise SourceChangedError(f"{item.name} changed")
        os.rename(temp, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


def prune_snapshots(folder: Path, keep: int, protected: Collection[str] = ()) -> tuple[str, ...]:
    """Delete all but the newest ``keep`` snapshots in ``folder`` (one source's), never one
    named in ``protected``; leftovers of interrupted snapshots go too. Returns what was
    deleted, oldest first."""
    if not folder.is_dir():
        return ()
    snapshots: list[tuple[int, str]] = []
    for child in folder.iterdir():
        if child.name.startswith("."):
            # A sensor never runs two ticks at once: a temporary folder here is a leftover.
            shutil.rmtree(child, ignore_errors=True)
        elif child.is_dir():
            snapshots.append((child.stat().st_mtime_ns, child.name))
    snapshots.sort(reverse=True)
    doomed = [name for _, name in snapshots[keep:] if name not in protected]
    for name in doomed:
        shutil.rmtree(folder / name, ignore_errors=True)
    return tuple(reversed(doomed))


# --- one tick -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxOptions:
    inbox_dir: Path
    data_dir: Path
    max_file_bytes: int | None = 5_000_000_000
    keep_snapshots: int = 3
    max_hash_bytes_per_tick: int = 2_000_000_000


_SUMMARY_ORDER: tuple[Status, ...] = (
    "requested",
    "waiting",
    "hashing",
    "busy",
    "too_large",
    "invalid",
    "error",
    "no_tables",
    "unchanged",
)
_LISTED = 10  # names shown per status in the summary


@dataclass(frozen=True)
class InboxTick:
    cursor: InboxCursor
    decisions: tuple[SourceDecision, ...] = ()
    ignored: tuple[IgnoredEntry, ...] = ()
    newly_ignored: tuple[IgnoredEntry, ...] = ()  # not reported by an earlier tick
    problem: str | None = None  # the inbox itself cannot be used this tick
    inbox_dir: Path | None = None

    @property
    def requested(self) -> tuple[SourceDecision, ...]:
        return tuple(item for item in self.decisions if item.status == "requested")

    def summary(self) -> str:
        """One line for the tick: every status with its count and (first) sources."""
        if self.problem:
            return self.problem
        groups = [
            (
                status.replace("_", " "),
                [item.source for item in self.decisions if item.status == status],
            )
            for status in _SUMMARY_ORDER
        ]
        groups.append(("ignored", [item.path for item in self.ignored]))
        parts = []
        for label, names in groups:
            if names:
                shown = ", ".join(names[:_LISTED])
                more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
                parts.append(f"{label} {len(names)} ({shown}{more})")
        where = f"csv inbox {self.inbox_dir}" if self.inbox_dir else "csv inbox"
        return f"{where}: " + ("; ".join(parts) if parts else "empty")


def _with_file(scan: InboxScan, source: str, name: str, state: FileState | None) -> InboxScan:
    """``scan`` with one file's state replaced (None: removed)."""
    entries = []
    for entry in scan.entries:
        if entry.source == source:
            files = tuple(
                new
                for item in entry.files
                if (new := (item if item.name != name else state)) is not None
            )
            entry = replace(entry, files=files)
        entries.append(entry)
    return replace(scan, entries=tuple(entries))


def evaluate_inbox(
    options: InboxOptions, cursor: InboxCursor, active_runs: Sequence[ActiveRun] = ()
) -> InboxTick:
    """One sensor tick: scan, hash what is stable, snapshot and register what is requested.

    Never raises for bad input: each source's problem becomes its decision, and an unusable
    inbox becomes ``problem`` (the cursor is then kept as it was).
    """
    inbox = options.inbox_dir
    root = snapshots_root(options.data_dir)
    if root.is_relative_to(inbox) or inbox.is_relative_to(root):
        return InboxTick(
            cursor,
            problem=f"the inbox {inbox} overlaps the snapshots folder {root}; use a separate "
            "folder (default: <data_dir>/inbox)",
        )
    if not inbox.is_dir():
        return InboxTick(
            cursor,
            problem=f"the inbox {inbox} does not exist; create it and drop folders of CSV "
            "files (or single CSV files) into it",
        )
    try:
        scan = scan_inbox(inbox)
    except OSError as error:
        return InboxTick(cursor, problem=f"cannot read the inbox {inbox}: {error}")

    hashes: dict[tuple[str, str], str] = {}
    errors: dict[str, str] = {}
    planned = files_to_hash(scan, cursor, options.max_file_bytes, options.max_hash_bytes_per_tick)
    for entry, item in planned:
        path = entry.file_path(item.name)
        try:
            digest = hash_file(path)
            after = path.stat()
        except FileNotFoundError:
            scan = _with_file(scan, entry.source, item.name, None)
            continue
        except OSError as error:
            errors[entry.source] = f"cannot read {item.name}: {error}"
            continue
        if (after.st_size, after.st_mtime_ns) != (item.size, item.mtime_ns):
            # Written to while we read it: the new state makes the source wait a tick.
            new = FileState(item.name, after.st_size, after.st_mtime_ns)
            scan = _with_file(scan, entry.source, item.name, new)
            continue
        hashes[(entry.source, item.name)] = digest

    entries = {entry.source: entry for entry in scan.entries}
    protected: dict[str, set[str]] = {}
    for run in active_runs:
        if run.fingerprint:
            protected.setdefault(run.source, set()).add(run.fingerprint)
    decisions: list[SourceDecision] = []
    for decision in diff_inbox(scan, cursor, hashes, active_runs, options.max_file_bytes):
        if decision.source in errors:
            decision = replace(decision, status="error", detail=errors[decision.source])
        elif decision.status == "requested" and decision.fingerprint:
            decision = _snapshot_and_register(
                decision,
                entries[decision.source],
                options,
                protected.get(decision.source, set()),
            )
        decisions.append(decision)

    return InboxTick(
        cursor=advance_cursor(scan, cursor, hashes, decisions),
        decisions=tuple(decisions),
        ignored=scan.ignored,
        newly_ignored=tuple(item for item in scan.ignored if item.path not in cursor.ignored),
        inbox_dir=inbox,
    )


def _snapshot_and_register(
    decision: SourceDecision, entry: InboxEntry, options: InboxOptions, protected: set[str]
) -> SourceDecision:
    content = decision.fingerprint
    assert content is not None
    root = snapshots_root(options.data_dir)
    try:
        if entry.is_folder:
            load_settings(entry.path)  # a broken dataraum.yaml: say so before copying anything
        folder = snapshot_source(entry, content, root)
        register_source(WarehouseLayout(options.data_dir), entry.source, folder)
    except SourceChangedError as error:
        return replace(
            decision, status="waiting", detail=f"{error} while being snapshotted; waiting"
        )
    except SourceError as error:
        return replace(decision, status="invalid", detail=str(error))
    except OSError as error:
        return replace(decision, status="error", detail=f"cannot snapshot: {error}")
    prune_snapshots(root / entry.source, options.keep_snapshots, {content, *protected})
    return replace(decision, detail=f"{decision.detail}; snapshot {folder}", folder=folder)
