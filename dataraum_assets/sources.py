"""Sources: the registry of which folder a source reads, its files, and its settings.

A source is registered by writing ``<data_dir>/sources/<name>.json``; the Dagster dynamic
partition of the same name is added by the caller (CLI or sensor), which owns the instance.
Per-source settings live next to the data in ``dataraum.yaml``.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataraum_assets.identifiers import is_valid_source_name
from dataraum_assets.privacy_settings import PrivacySettings
from dataraum_assets.warehouse import WarehouseLayout, atomic_file

SETTINGS_FILE_NAME = "dataraum.yaml"
# A source's own validation checks (dataraum_assets/analysis/validation_results.py).
CHECKS_FILE_NAME = "dataraum_checks.yaml"
# A source's own concept and process vocabularies (semantic_annotations, cycle_analysis).
VOCABULARY_FILE_NAME = "dataraum_vocabulary.yaml"
PROCESSES_FILE_NAME = "dataraum_processes.yaml"
# Files in a source folder that configure the source rather than hold a table: never loaded as
# tables, but part of what the CSV inbox fingerprints and snapshots, so changing one re-runs the
# source and the run reads the version it was started for.
SOURCE_CONFIG_FILES = frozenset(
    {SETTINGS_FILE_NAME, CHECKS_FILE_NAME, VOCABULARY_FILE_NAME, PROCESSES_FILE_NAME}
)
CSV_SUFFIXES = frozenset({".csv", ".tsv"})

# The spec's null tokens. Matching is exact (after no trimming): a cell that is one of these
# strings is NULL in raw_tables. Single-character placeholders are reported, never nulled.
DEFAULT_NULL_TOKENS: tuple[str, ...] = (
    "",
    "NULL",
    "null",
    "Null",
    "None",
    "none",
    "NaN",
    "nan",
    "NA",
    "N/A",
    "n/a",
    "#N/A",
    "#NULL!",
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "--",
)
DEFAULT_PLACEHOLDER_TOKENS: tuple[str, ...] = ("-", ".")


class SourceError(ValueError):
    """A source cannot be registered or read; the message says which and why."""


@dataclass(frozen=True)
class SourceFile:
    """One input file of a source."""

    path: Path  # absolute, resolved, inside the source folder
    relative_path: str  # as shown to users: relative to the source folder

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class SourceListing:
    files: tuple[SourceFile, ...]
    ignored: tuple[str, ...]  # relative paths of files that are not CSV/TSV


class RawTablesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    null_tokens: tuple[str, ...] = Field(
        default=DEFAULT_NULL_TOKENS, description="Cells equal to one of these become NULL."
    )
    placeholder_tokens: tuple[str, ...] = Field(
        default=DEFAULT_PLACEHOLDER_TOKENS,
        description="Cells equal to one of these are counted and reported, not nulled.",
    )
    block_on_rejection: bool = Field(
        default=False,
        description="Fail raw_tables (and so the run) when any file is rejected, instead of "
        "loading the other files and failing the raw_tables_all_files_loaded check.",
    )
    max_file_bytes: int | None = Field(
        default=None, description="Reject files larger than this many bytes."
    )


class TypedTablesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quarantine_max_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Data gate: the typed_tables_quarantine_within_limit check fails for a "
        "table whose quarantined cells exceed this share of its non-null cells.",
    )
    min_match_rate: float = Field(default=0.5, ge=0, le=1)
    min_cast_rate: float = Field(default=0.8, ge=0, le=1)
    min_confidence: float = Field(default=0.85, ge=0, le=1)


class ValidationResultsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date | None = Field(
        default=None,
        description="Reference date for the dates_not_in_future check (a snapshot's export "
        "date); default: the run date.",
    )
    disabled_checks: tuple[str, ...] = Field(
        default=(),
        description="Ids of checks not to run for this source; each is reported as skipped.",
    )


class EntropyContextSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    contract: str = Field(
        default="exploratory_analysis",
        description="The readiness contract the source is judged by (entropy_contracts.yaml "
        "or one defined under `contracts`).",
    )
    block_when_blocked: bool = Field(
        default=False,
        description="Data gate: entropy_context_readiness_not_blocked fails (blocking) when the "
        "source's readiness under `contract` is blocked. Off by default.",
    )
    contracts: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Extra contracts or overrides: {name: {description, extends, thresholds: "
        "{dimension: {ready, investigate}}}}; checked by the entropy_context analysis.",
    )


class SemanticAnnotationsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vocabularies: tuple[str, ...] = Field(
        default=("finance", "generic"),
        description="Shipped concept vocabularies to use, in precedence order.",
    )
    vocabulary_files: tuple[str, ...] = Field(
        default=(),
        description="The source's own vocabulary files (paths relative to the source folder); "
        f"{VOCABULARY_FILE_NAME} in the folder is used without being listed. They take "
        "precedence over the shipped vocabularies.",
    )


class CycleAnalysisSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    process_files: tuple[str, ...] = Field(
        default=(),
        description="The source's own process vocabularies (relative paths); "
        f"{PROCESSES_FILE_NAME} in the folder is used without being listed.",
    )


class SourceSettings(BaseModel):
    """Contents of ``dataraum.yaml`` in a source folder; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date | None = Field(
        default=None,
        description="The date the data describes (a snapshot's export date): staleness and "
        "'in the future' are judged against it instead of the run date.",
    )
    raw_tables: RawTablesSettings = RawTablesSettings()
    typed_tables: TypedTablesSettings = TypedTablesSettings()
    validation_results: ValidationResultsSettings = ValidationResultsSettings()
    entropy_context: EntropyContextSettings = EntropyContextSettings()
    privacy: PrivacySettings = PrivacySettings()
    semantic_annotations: SemanticAnnotationsSettings = SemanticAnnotationsSettings()
    cycle_analysis: CycleAnalysisSettings = CycleAnalysisSettings()


@dataclass(frozen=True)
class RegisteredSource:
    name: str
    folder: Path
    registered_at: str

    def settings(self) -> SourceSettings:
        # A single-file source has no folder of its own to hold settings: defaults apply.
        return load_settings(self.folder) if self.folder.is_dir() else SourceSettings()

    def listing(self) -> SourceListing:
        return list_source_files(self.folder)


def load_settings(folder: Path) -> SourceSettings:
    """Read ``dataraum.yaml`` from ``folder`` (defaults when absent); errors name the field."""
    path = folder / SETTINGS_FILE_NAME
    if not path.is_file():
        return SourceSettings()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SourceError(f"{path}: not valid YAML: {error}") from error
    try:
        return SourceSettings.model_validate(content)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise SourceError(f"{path}: {problems}") from error


def list_source_files(folder: Path) -> SourceListing:
    """CSV/TSV files directly in ``folder`` (or ``folder`` itself when it is one file).

    Hidden files and the settings file are skipped silently; other files are reported as
    ignored. Symlinks that resolve outside the folder are ignored so file names never escape it.
    """
    if folder.is_file():
        if folder.suffix.lower() not in CSV_SUFFIXES:
            raise SourceError(f"{folder}: not a .csv or .tsv file")
        return SourceListing(files=(SourceFile(folder.resolve(), folder.name),), ignored=())
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such folder")
    root = folder.resolve()
    files: list[SourceFile] = []
    ignored: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.name.startswith(".") or entry.name in SOURCE_CONFIG_FILES:
            continue
        resolved = entry.resolve()
        if not resolved.is_file() or (resolved.parent != root and root not in resolved.parents):
            ignored.append(entry.name)
            continue
        if entry.suffix.lower() in CSV_SUFFIXES:
            files.append(SourceFile(resolved, entry.name))
        else:
            ignored.append(entry.name)
    return SourceListing(files=tuple(files), ignored=tuple(ignored))


def register_source(layout: WarehouseLayout, name: str, folder: Path) -> RegisteredSource:
    """Record that source ``name`` reads ``folder``; re-registering updates the folder."""
    if not is_valid_source_name(name):
        raise SourceError(
            f"invalid source name {name!r}: use 1-63 lowercase letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    resolved = folder.expanduser().resolve()
    listing = list_source_files(resolved)
    if not listing.files:
        raise SourceError(f"{resolved}: no .csv or .tsv files to ingest")
    if resolved.is_dir():
        load_settings(resolved)
    entry = RegisteredSource(
        name=name, folder=resolved, registered_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    with atomic_file(layout.registry_path(name)) as temp:
        temp.write_text(
            json.dumps(
                {
                    "name": entry.name,
                    "folder": str(entry.folder),
                    "registered_at": entry.registered_at,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return entry


def get_source(layout: WarehouseLayout, name: str) -> RegisteredSource:
    path = layout.registry_path(name)
    if not path.is_file():
        raise SourceError(
            f"source {name!r} is not registered in {layout.registry_dir()}; register it with "
            f"`dataraum-assets register <folder> --name {name}`"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    return RegisteredSource(
        name=data["name"], folder=Path(data["folder"]), registered_at=data["registered_at"]
    )


def list_sources(layout: WarehouseLayout) -> Sequence[RegisteredSource]:
    directory = layout.registry_dir()
    if not directory.is_dir():
        return []
    return [get_source(layout, path.stem) for path in sorted(directory.glob("*.json"))]
