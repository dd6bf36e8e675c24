"""semantic_annotations: column roles, business concepts, units, naming clarity, table kinds."""

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.semantic_annotations import (
    OUTPUT_SCHEMAS,
    ROLES,
    SemanticOptions,
    build_semantic_annotations,
)
from dataraum_assets.analysis.semantic_vocabulary import VocabularyError
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import VOCABULARY_FILE_NAME, RegisteredSource
from dataraum_assets.warehouse import attached_databases

ASSET = "semantic_annotations"
UPSTREAMS = ("statistical_profiles", "typed_tables")
OPTIONAL_UPSTREAMS = ("relationships",)
PREVIEW_COLUMNS = 40


def source_files(
    source: RegisteredSource, listed: tuple[str, ...], default_name: str
) -> tuple[Path, ...]:
    """The source's own YAML files: ``default_name`` in its folder when present, plus the
    ``listed`` paths (relative to the folder, never outside it)."""
    folder = source.folder
    if not folder.is_dir():
        return ()
    root = folder.resolve()
    paths = [root / default_name] if (root / default_name).is_file() else []
    for name in listed:
        path = (root / name).resolve()
        if root not in path.parents:
            raise VocabularyError(f"{name}: not inside the source folder {root}")
        if not path.is_file():
            raise VocabularyError(f"{path}: listed in dataraum.yaml but not found")
        if path not in paths:
            paths.append(path)
    return tuple(paths)


@dg.asset(
    name=ASSET,
    # The optional upstream orders this step after it in a run; it is read only when its file
    # exists, so a selection without it still works (with less evidence, said in the rows).
    deps=[*UPSTREAMS, *OPTIONAL_UPSTREAMS],
    partitions_def=sources_partitions,
    group_name="meaning",
    kinds={"duckdb"},
    description="""Column roles, business concepts, units and naming clarity; table kinds,
grains and time columns. Deterministic (no LLM); every row says which evidence decided it.

Reads `typed_tables` (types, original headers, currencies read from values),
`statistical_profiles` (distinct/null counts, top values) and, when materialized,
`relationships` (accepted foreign keys; without it foreign keys come from names only, and the
evidence says so). Roles: key (integer/text, no nulls, ≥ 98% distinct, identifier-named or
referenced), foreign_key, timestamp, identifier, measure (floats; integers with > 12 distinct
values), dimension (booleans; ≤ 100 distinct values and ≤ 50% of rows), attribute. Concepts
from YAML vocabularies (the source's `dataraum_vocabulary.yaml`, then finance, then generic):
name indicators and exclusions, or ≥ 80% of a text column's values in the concept's list.
Units: a currency column of the table or of a referenced table. Naming clarity from an English
word list (SCOWL), data terms and abbreviations. Table kind fact/dimension/flat; grain: the key,
a unique column, or a verified unique pair. Settings: `dataraum.yaml`, section
`semantic_annotations`. Tables: `column_annotations`, `table_annotations`.
Output: `<data_dir>/warehouse/<source>/semantic_annotations.duckdb`.""",
)
def semantic_annotations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = warehouse.source(context.partition_key)
    settings = source.settings().semantic_annotations
    options = SemanticOptions(
        shipped_vocabularies=settings.vocabularies,
        vocabulary_files=source_files(source, settings.vocabulary_files, VOCABULARY_FILE_NAME),
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        has_relationships = "relationships" in attached_databases(con)
        result = build_semantic_annotations(
            con,
            options,
            progress=context.log.info,
            relationships_database="relationships" if has_relationships else None,
        )
        metadata = _metadata(con, has_relationships, options)
    del result
    return dg.MaterializeResult(metadata=metadata)


def _metadata(
    con: duckdb.DuckDBPyConnection, has_relationships: bool, options: SemanticOptions
) -> dict[str, Any]:
    columns = con.execute(
        "SELECT table_name, column_name, role, concept, coalesce(unit_table || '.' || "
        "unit_column, unit), naming_clarity FROM column_annotations "
        "ORDER BY table_name, column_name"
    ).fetchall()
    tables = con.execute(
        "SELECT table_name, kind, array_to_string(grain_columns, ', '), time_column "
        "FROM table_annotations ORDER BY table_name"
    ).fetchall()
    roles = {role: sum(1 for row in columns if row[2] == role) for role in ROLES}
    preview = (
        "### Tables\n\n"
        + markdown_table(["table", "kind", "grain", "time column"], tables)
        + f"\n\n### Columns (first {PREVIEW_COLUMNS})\n\n"
        + markdown_table(
            ["table", "column", "role", "concept", "unit", "naming"], columns[:PREVIEW_COLUMNS]
        )
    )
    return {
        "dagster/row_count": len(columns),
        "tables": len(tables),
        "columns_with_concept": sum(1 for row in columns if row[3] is not None),
        **{f"{role}_columns": count for role, count in roles.items()},
        "foreign_keys_from": "relationships" if has_relationships else "names only",
        "vocabularies": ", ".join(
            [str(path) for path in options.vocabulary_files] + list(options.shipped_vocabularies)
        ),
        "preview": dg.MetadataValue.md(preview),
    }


semantic_annotations_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
