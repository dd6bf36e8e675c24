"""Shape of the table graph and of the column-association graph: the ``topology_metrics`` stage.

Reads ``"<relationships>".main.relationships`` (rows with ``status = 'accepted'``) and, from
``"<correlations>".main``, ``table_samples`` (the list of tables), ``numeric_correlations``,
``categorical_associations``, ``derived_columns`` and ``functional_dependencies``; writes
``table_graph``, ``table_edges``, ``cycles``, ``column_clusters``, ``redundant_columns`` and
the one-row ``summary`` into the connection's default database (``docs/data-plane.md``).

**Table graph.** Nodes are every table (those in ``table_samples`` and those named by a
relationship); each accepted relationship is a directed edge child → parent. Structure is
judged on the undirected simple graph without self-loops (two relationships between the same
two tables join them once; a self-reference joins a table to itself, not to the schema).

- ``degree``: distinct other tables a table is related to; ``in_degree`` / ``out_degree``:
  relationships in which it is the parent / the child (self-references excluded).
- **Roles**: ``isolated`` (degree 0), ``leaf`` (degree 1), ``hub`` (degree ≥ ``hub_min_degree``),
  else ``connector``.
- **Components**: connected components of the undirected graph (isolated tables count).
- **Bridges**: edges whose removal disconnects their component (``networkx.bridges``): a join
  path with no alternative.
- **Cycles**: ``self_reference`` (a table referencing itself: a hierarchy such as
  manager → employee), ``directed`` (A → B → … → A over two or more tables, at most
  ``max_cycles`` listed) and ``undirected`` (a cycle basis of the undirected graph, minus those
  already listed as directed: two join paths between the same tables, which makes a join
  ambiguous).

**Schema pattern** (per component; for the schema when it has one component, else
``disconnected``). For a connected component with n tables and the undirected graph above:

- ``single``: n = 1.
- ``mesh``: the graph has an undirected cycle (more than n − 1 edges).
- ``chain``: a tree whose tables all have degree ≤ 2 (a path, including two related tables).
- ``star``: a tree with one table adjacent to all n − 1 others, n ≥ 4 (a centre, typically a
  fact, with dimensions that relate to nothing else).
- ``snowflake``: any other tree: a table of degree ≥ 3 and a branch longer than one edge
  (dimensions with sub-dimensions, or several centres sharing dimensions).
- ``disconnected``: the schema has more than one component; ``main_component_pattern`` then
  gives the pattern of the largest component (most tables, then most relationships).

``summary.evidence`` states the counts and the rule that decided the pattern.

**Column-association graph.** Nodes are (table, column); an edge joins two columns of one table
when |pearson| or |spearman| ≥ ``correlation_threshold``, Cramér's V ≥
``cramers_v_threshold``, one is derived from the other (target–operand), or one functionally
determines the other. ``column_clusters`` lists the connected components with at least two
columns, per table (``cluster`` numbered from 1 by size, then first column name), with each
column's degree and the kinds of edge that hold the cluster together.

**Redundant columns**: ``correlation`` (|pearson| ≥ ``redundant_correlation``: the later
column of the pair is redundant with the earlier one), ``derived`` (a derived column matching
≥ ``redundant_match_rate`` of its rows: the target is redundant with its operands) and
``mutual_dependency`` (A → B and B → A both with confidence ≥ ``redundant_match_rate``: a 1:1
recoding; the alphabetically later column is listed).
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import networkx as nx
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.output_tables import is_list, write_records
from dataraum_assets.identifiers import quote_identifier

SCHEMA_PATTERNS = ("star", "snowflake", "chain", "mesh", "disconnected", "single")
COMPONENT_PATTERNS = ("star", "snowflake", "chain", "mesh", "single")
ROLES = ("hub", "connector", "leaf", "isolated")
CYCLE_KINDS = ("self_reference", "directed", "undirected")
EDGE_KINDS = ("correlation", "association", "derived", "dependency")
REDUNDANCY_REASONS = ("correlation", "derived", "mutual_dependency")


@dataclass(frozen=True)
class TopologyOptions:
    """Thresholds of the topology stage (module docstring for the definitions)."""

    hub_min_degree: int = 3
    # "strong" in the correlations stage's labels.
    correlation_threshold: float = 0.7
    cramers_v_threshold: float = 0.7
    redundant_correlation: float = 0.98
    redundant_match_rate: float = 0.999
    # Directed cycles are enumerated (exponential in the worst case); the count is capped.
    max_cycles: int = 1000

    def __post_init__(self) -> None:
        if self.hub_min_degree < 2:
            raise ValueError(f"hub_min_degree must be at least 2, got {self.hub_min_degree}")
        for name in ("correlation_threshold", "cramers_v_threshold", "redundant_correlation"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")


@dataclass(frozen=True)
class Relationship:
    """An accepted relationship as read from the relationships stage."""

    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableNode:
    table_name: str
    component: int
    degree: int
    in_degree: int
    out_degree: int
    role: str
    self_reference: bool
    neighbours: tuple[str, ...]


@dataclass(frozen=True)
class TableEdge:
    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]
    component: int
    is_bridge: bool
    in_cycle: bool
    self_reference: bool


@dataclass(frozen=True)
class Cycle:
    cycle: int
    kind: str
    tables: tuple[str, ...]
    length: int


@dataclass(frozen=True)
class ColumnCluster:
    table_name: str
    cluster: int
    column_name: str
    cluster_size: int
    degree: int
    edge_kinds: tuple[str, ...]
    redundant: bool


@dataclass(frozen=True)
class RedundantColumn:
    table_name: str
    column_name: str
    redundant_with: tuple[str, ...]
    reason: str
    value: float
    evidence: str


@dataclass(frozen=True)
class Summary:
    schema_pattern: str
    main_component_pattern: str
    tables: int
    relationships: int
    components: int
    isolated_tables: int
    hubs: tuple[str, ...]
    leaves: int
    bridges: int
    self_references: int
    cycles: int
    column_clusters: int
    redundant_columns: int
    evidence: str


@dataclass(frozen=True)
class TopologyResult:
    table_graph: tuple[TableNode, ...]
    table_edges: tuple[TableEdge, ...]
    cycles: tuple[Cycle, ...]
    column_clusters: tuple[ColumnCluster, ...]
    redundant_columns: tuple[RedundantColumn, ...]
    summary: Summary


@dataclass(frozen=True)
class ColumnEdge:
    """One edge of the column-association graph (both columns in ``table_name``)."""

    table_name: str
    column_a: str
    column_b: str
    kind: str


def component_pattern(graph: nx.Graph) -> tuple[str, str]:
    """The pattern of one connected undirected simple graph and why."""
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    if n == 1:
        return "single", "one table"
    if m > n - 1:
        return "mesh", f"{m} relationships between {n} tables > {n - 1}: join paths form cycles"
    degrees = dict(graph.degree())
    top = max(degrees.values())
    if top <= 2:
        return "chain", f"a path of {n} tables (no table related to more than two others)"
    centres = sorted(node for node, degree in degrees.items() if degree == n - 1)
    if centres and n >= 4:
        return (
            "star",
            f"{centres[0]} is related to all {n - 1} other tables, which relate to nothing else",
        )
    branched = sorted(node for node, degree in degrees.items() if degree >= 3)
    return (
        "snowflake",
        f"a tree of {n} tables branching at {', '.join(branched)} with branches longer than one "
        "relationship",
    )


def schema_pattern(graph: nx.Graph) -> tuple[str, str, str]:
    """(schema pattern, pattern of the largest component, evidence) of an undirected simple
    graph of tables."""
    if graph.number_of_nodes() == 0:
        return "disconnected", "single", "no tables"
    components = sorted(
        (graph.subgraph(nodes).copy() for nodes in nx.connected_components(graph)),
        key=lambda g: (-g.number_of_nodes(), -g.number_of_edges(), min(g.nodes)),
    )
    main, why = component_pattern(components[0])
    if len(components) == 1:
        return main, main, why
    isolated = sum(1 for g in components if g.number_of_nodes() == 1)
    return (
        "disconnected",
        main,
        f"{len(components)} components ({isolated} isolated tables); the largest "
        f"({components[0].number_of_nodes()} tables) is a {main}: {why}",
    )


def _read_relationships(con: duckdb.DuckDBPyConnection, database: str) -> list[Relationship]:
    rows = con.execute(
        "SELECT child_table, child_columns, parent_table, parent_columns "
        f"FROM {database}.main.relationships WHERE status = 'accepted' "
        "ORDER BY child_table, child_columns, parent_table, parent_columns"
    ).fetchall()
    return [Relationship(row[0], tuple(row[1]), row[2], tuple(row[3])) for row in rows]


def _read_column_edges(
    con: duckdb.DuckDBPyConnection, database: str
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    numeric = con.execute(
        "SELECT table_name, column_a, column_b, pearson, spearman "
        f"FROM {database}.main.numeric_correlations ORDER BY ALL"
    ).fetchall()
    categorical = con.execute(
        "SELECT table_name, column_a, column_b, cramers_v "
        f"FROM {database}.main.categorical_associations ORDER BY ALL"
    ).fetchall()
    derived = con.execute(
        "SELECT table_name, target_column, operand_columns, match_rate, expression "
        f"FROM {database}.main.derived_columns ORDER BY table_name, target_column, expression"
    ).fetchall()
    dependencies = con.execute(
        "SELECT table_name, determinant_columns, dependent_column, confidence "
        f"FROM {database}.main.functional_dependencies ORDER BY ALL"
    ).fetchall()
    return numeric, categorical, derived, dependencies


def build_topology_metrics(
    con: duckdb.DuckDBPyConnection,
    options: TopologyOptions = TopologyOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    relationships_database: str = "relationships",
    correlations_database: str = "correlations",
) -> TopologyResult:
    """Build both graphs from the attached upstreams and write the six output tables.
    Returns what was written."""
    relationships_db = quote_identifier(relationships_database)
    correlations_db = quote_identifier(correlations_database)
    relationships = _read_relationships(con, relationships_db)
    tables = [
        name
        for (name,) in con.execute(
            f"SELECT table_name FROM {correlations_db}.main.table_samples ORDER BY table_name"
        ).fetchall()
    ]
    numeric, categorical, derived, dependencies = _read_column_edges(con, correlations_db)
    result = topology(tables, relationships, numeric, categorical, derived, dependencies, options)
    _write_outputs(con, result)
    if progress is not None:
        progress(
            f"{result.summary.tables} tables, {result.summary.relationships} relationships: "
            f"{result.summary.schema_pattern}; {result.summary.column_clusters} column clusters"
        )
    return result


def topology(
    tables: Sequence[str],
    relationships: Sequence[Relationship],
    numeric: Sequence[tuple],
    categorical: Sequence[tuple],
    derived: Sequence[tuple],
    dependencies: Sequence[tuple],
    options: TopologyOptions = TopologyOptions(),
) -> TopologyResult:
    """Both graphs from plain rows (the column rows as read by ``build_topology_metrics``)."""
    nodes, edges, cycles, summary_parts = _table_graph(tables, relationships, options)
    column_edges, redundant = _column_edges(numeric, categorical, derived, dependencies, options)
    clusters = _clusters(column_edges, redundant)
    pattern, main_pattern, evidence = summary_parts
    hubs = tuple(node.table_name for node in nodes if node.role == "hub")
    summary = Summary(
        schema_pattern=pattern,
        main_component_pattern=main_pattern,
        tables=len(nodes),
        relationships=len(edges),
        components=len({node.component for node in nodes}),
        isolated_tables=sum(1 for node in nodes if node.role == "isolated"),
        hubs=hubs,
        leaves=sum(1 for node in nodes if node.role == "leaf"),
        bridges=sum(1 for edge in edges if edge.is_bridge),
        self_references=sum(1 for cycle in cycles if cycle.kind == "self_reference"),
        cycles=len(cycles),
        column_clusters=len({(c.table_name, c.cluster) for c in clusters}),
        redundant_columns=len(redundant),
        evidence=evidence,
    )
    return TopologyResult(
        table_graph=tuple(nodes),
        table_edges=tuple(edges),
        cycles=tuple(cycles),
        column_clusters=tuple(clusters),
        redundant_columns=tuple(redundant),
        summary=summary,
    )


def _table_graph(
    tables: Sequence[str], relationships: Sequence[Relationship], options: TopologyOptions
) -> tuple[list[TableNode], list[TableEdge], list[Cycle], tuple[str, str, str]]:
    names = sorted(
        set(tables)
        | {r.child_table for r in relationships}
        | {r.parent_table for r in relationships}
    )
    directed = nx.DiGraph()
    directed.add_nodes_from(names)
    undirected = nx.Graph()
    undirected.add_nodes_from(names)
    for r in relationships:
        directed.add_edge(r.child_table, r.parent_table)
        if r.child_table != r.parent_table:
            undirected.add_edge(r.child_table, r.parent_table)
    component_of: dict[str, int] = {}
    ordered = sorted(
        nx.connected_components(undirected), key=lambda nodes: (-len(nodes), min(nodes))
    )
    for number, members in enumerate(ordered, start=1):
        for name in members:
            component_of[name] = number
    bridges = {frozenset(edge) for edge in nx.bridges(undirected)}

    cycles: list[Cycle] = []
    for name in names:
        if directed.has_edge(name, name):
            cycles.append(Cycle(0, "self_reference", (name,), 1))
    without_loops = nx.DiGraph((a, b) for a, b in directed.edges() if a != b)
    directed_cycles = []
    for cycle in nx.simple_cycles(without_loops):
        directed_cycles.append(_rotate(cycle))
        if len(directed_cycles) >= options.max_cycles:
            break
    for cycle in sorted(directed_cycles):
        cycles.append(Cycle(0, "directed", tuple(cycle), len(cycle)))
    directed_sets = {frozenset(cycle) for cycle in directed_cycles}
    for cycle in sorted(_undirected_rotate(c) for c in nx.cycle_basis(undirected)):
        if frozenset(cycle) not in directed_sets:
            cycles.append(Cycle(0, "undirected", tuple(cycle), len(cycle)))
    cycles = [Cycle(number, c.kind, c.tables, c.length) for number, c in enumerate(cycles, start=1)]
    cycle_edges = {
        frozenset(pair)
        for c in cycles
        if c.kind != "self_reference"
        for pair in zip(c.tables, (*c.tables[1:], c.tables[0]), strict=True)
    }

    in_degree: dict[str, int] = defaultdict(int)
    out_degree: dict[str, int] = defaultdict(int)
    for r in relationships:
        if r.child_table != r.parent_table:
            out_degree[r.child_table] += 1
            in_degree[r.parent_table] += 1
    nodes = []
    for name in names:
        degree = undirected.degree(name)
        role = (
            "isolated"
            if degree == 0
            else "leaf"
            if degree == 1
            else "hub"
            if degree >= options.hub_min_degree
            else "connector"
        )
        nodes.append(
            TableNode(
                table_name=name,
                component=component_of[name],
                degree=degree,
                in_degree=in_degree[name],
                out_degree=out_degree[name],
                role=role,
                self_reference=directed.has_edge(name, name),
                neighbours=tuple(sorted(undirected.neighbors(name))),
            )
        )
    edges = [
        TableEdge(
            child_table=r.child_table,
            child_columns=r.child_columns,
            parent_table=r.parent_table,
            parent_columns=r.parent_columns,
            component=component_of[r.child_table],
            is_bridge=frozenset((r.child_table, r.parent_table)) in bridges
            and _multiplicity(relationships, r) == 1,
            in_cycle=r.child_table == r.parent_table
            or frozenset((r.child_table, r.parent_table)) in cycle_edges,
            self_reference=r.child_table == r.parent_table,
        )
        for r in relationships
    ]
    return nodes, edges, cycles, schema_pattern(undirected)


def _multiplicity(relationships: Sequence[Relationship], r: Relationship) -> int:
    """Relationships joining the same two tables (either direction): with two, neither is a
    bridge on its own."""
    pair = frozenset((r.child_table, r.parent_table))
    return sum(
        1 for other in relationships if frozenset((other.child_table, other.parent_table)) == pair
    )


def _rotate(cycle: Sequence[str]) -> list[str]:
    """A cycle starting at its smallest table, so the same cycle always reads the same."""
    start = cycle.index(min(cycle))
    return [*cycle[start:], *cycle[:start]]


def _undirected_rotate(cycle: Sequence[str]) -> list[str]:
    """An undirected cycle from its smallest table, towards the smaller of its two neighbours."""
    rotated = _rotate(cycle)
    if len(rotated) > 2 and rotated[-1] < rotated[1]:
        rotated = [rotated[0], *reversed(rotated[1:])]
    return rotated


def _column_edges(
    numeric: Sequence[tuple],
    categorical: Sequence[tuple],
    derived: Sequence[tuple],
    dependencies: Sequence[tuple],
    options: TopologyOptions,
) -> tuple[list[ColumnEdge], list[RedundantColumn]]:
    edges: list[ColumnEdge] = []
    redundant: list[RedundantColumn] = []
    for table, a, b, pearson, spearman in numeric:
        values = [abs(v) for v in (pearson, spearman) if v is not None]
        if values and max(values) >= options.correlation_threshold:
            edges.append(ColumnEdge(table, a, b, "correlation"))
        if pearson is not None and abs(pearson) >= options.redundant_correlation:
            redundant.append(
                RedundantColumn(
                    table,
                    b,
                    (a,),
                    "correlation",
                    abs(pearson),
                    f"pearson({a}, {b}) = {pearson:.4f}",
                )
            )
    for table, a, b, v in categorical:
        if v is not None and v >= options.cramers_v_threshold:
            edges.append(ColumnEdge(table, a, b, "association"))
    for table, target, operands, rate, expression in derived:
        for operand in operands:
            edges.append(ColumnEdge(table, target, operand, "derived"))
        if rate >= options.redundant_match_rate:
            redundant.append(
                RedundantColumn(
                    table,
                    target,
                    tuple(operands),
                    "derived",
                    rate,
                    f"{expression} on {rate:.2%} of the tested rows",
                )
            )
    confidence: dict[tuple[str, str, str], float] = {}
    for table, determinants, dependent, value in dependencies:
        for determinant in determinants:
            edges.append(ColumnEdge(table, determinant, dependent, "dependency"))
        if len(determinants) == 1:
            confidence[(table, determinants[0], dependent)] = value
    for (table, a, b), forward in sorted(confidence.items()):
        backward = confidence.get((table, b, a))
        if (
            a < b
            and backward is not None
            and min(forward, backward) >= options.redundant_match_rate
        ):
            redundant.append(
                RedundantColumn(
                    table,
                    b,
                    (a,),
                    "mutual_dependency",
                    min(forward, backward),
                    f"{a} → {b} ({forward:.2%}) and {b} → {a} ({backward:.2%})",
                )
            )
    return edges, redundant


def _clusters(
    edges: Sequence[ColumnEdge], redundant: Sequence[RedundantColumn]
) -> list[ColumnCluster]:
    by_table: dict[str, nx.Graph] = defaultdict(nx.Graph)
    for edge in edges:
        if edge.column_a == edge.column_b:
            continue
        graph = by_table[edge.table_name]
        if graph.has_edge(edge.column_a, edge.column_b):
            graph[edge.column_a][edge.column_b]["kinds"].add(edge.kind)
        else:
            graph.add_edge(edge.column_a, edge.column_b, kinds={edge.kind})
    flagged = {(r.table_name, r.column_name) for r in redundant}
    clusters: list[ColumnCluster] = []
    for table in sorted(by_table):
        graph = by_table[table]
        components = sorted(
            (sorted(nodes) for nodes in nx.connected_components(graph)),
            key=lambda nodes: (-len(nodes), nodes[0]),
        )
        for number, members in enumerate(components, start=1):
            kinds = sorted(
                {
                    kind
                    for _, _, data in graph.subgraph(members).edges(data=True)
                    for kind in data["kinds"]
                },
                key=EDGE_KINDS.index,
            )
            for column in members:
                clusters.append(
                    ColumnCluster(
                        table_name=table,
                        cluster=number,
                        column_name=column,
                        cluster_size=len(members),
                        degree=graph.degree(column),
                        edge_kinds=tuple(kinds),
                        redundant=(table, column) in flagged,
                    )
                )
    return clusters


_NODES_DDL = {
    "table_name": "VARCHAR",
    "component": "BIGINT",
    "degree": "BIGINT",
    "in_degree": "BIGINT",
    "out_degree": "BIGINT",
    "role": "VARCHAR",
    "self_reference": "BOOLEAN",
    "neighbours": "VARCHAR[]",
}
_EDGES_DDL = {
    "child_table": "VARCHAR",
    "child_columns": "VARCHAR[]",
    "parent_table": "VARCHAR",
    "parent_columns": "VARCHAR[]",
    "component": "BIGINT",
    "is_bridge": "BOOLEAN",
    "in_cycle": "BOOLEAN",
    "self_reference": "BOOLEAN",
}
_CYCLES_DDL = {"cycle": "BIGINT", "kind": "VARCHAR", "tables": "VARCHAR[]", "length": "BIGINT"}
_CLUSTERS_DDL = {
    "table_name": "VARCHAR",
    "cluster": "BIGINT",
    "column_name": "VARCHAR",
    "cluster_size": "BIGINT",
    "degree": "BIGINT",
    "edge_kinds": "VARCHAR[]",
    "redundant": "BOOLEAN",
}
_REDUNDANT_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "redundant_with": "VARCHAR[]",
    "reason": "VARCHAR",
    "value": "DOUBLE",
    "evidence": "VARCHAR",
}
_SUMMARY_DDL = {
    "schema_pattern": "VARCHAR",
    "main_component_pattern": "VARCHAR",
    "tables": "BIGINT",
    "relationships": "BIGINT",
    "components": "BIGINT",
    "isolated_tables": "BIGINT",
    "hubs": "VARCHAR[]",
    "leaves": "BIGINT",
    "bridges": "BIGINT",
    "self_references": "BIGINT",
    "cycles": "BIGINT",
    "column_clusters": "BIGINT",
    "redundant_columns": "BIGINT",
    "evidence": "VARCHAR",
}


def _write_outputs(con: duckdb.DuckDBPyConnection, result: TopologyResult) -> None:
    """(Re)create the output tables; the caller makes the file replacement atomic."""
    write_records(con, "table_graph", _NODES_DDL, result.table_graph)
    write_records(con, "table_edges", _EDGES_DDL, result.table_edges)
    write_records(con, "cycles", _CYCLES_DDL, result.cycles)
    write_records(con, "column_clusters", _CLUSTERS_DDL, result.column_clusters)
    write_records(con, "redundant_columns", _REDUNDANT_DDL, result.redundant_columns)
    write_records(con, "summary", _SUMMARY_DDL, [result.summary])


class TableGraphSchema(pa.DataFrameModel):
    table_name: Series[str] = pa.Field(unique=True)
    component: Series[int] = pa.Field(ge=1)
    degree: Series[int] = pa.Field(ge=0)
    in_degree: Series[int] = pa.Field(ge=0)
    out_degree: Series[int] = pa.Field(ge=0)
    role: Series[str] = pa.Field(isin=list(ROLES))
    self_reference: Series[bool]
    neighbours: Series[object]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("neighbours", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)

    @pa.dataframe_check
    @classmethod
    def degree_is_neighbour_count(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["neighbours"].map(len) == frame["degree"])


class TableEdgesSchema(pa.DataFrameModel):
    child_table: Series[str]
    child_columns: Series[object]
    parent_table: Series[str]
    parent_columns: Series[object]
    component: Series[int] = pa.Field(ge=1)
    is_bridge: Series[bool]
    in_cycle: Series[bool]
    self_reference: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("child_columns", "parent_columns", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)

    @pa.dataframe_check
    @classmethod
    def bridges_are_not_in_cycles(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(~(frame["is_bridge"] & frame["in_cycle"]))


class CyclesSchema(pa.DataFrameModel):
    cycle: Series[int] = pa.Field(ge=1, unique=True)
    kind: Series[str] = pa.Field(isin=list(CYCLE_KINDS))
    tables: Series[object]
    length: Series[int] = pa.Field(ge=1)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def length_is_table_count(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["tables"].map(len) == frame["length"])


class ColumnClustersSchema(pa.DataFrameModel):
    table_name: Series[str]
    cluster: Series[int] = pa.Field(ge=1)
    column_name: Series[str]
    cluster_size: Series[int] = pa.Field(ge=2)
    degree: Series[int] = pa.Field(ge=1)
    edge_kinds: Series[object]
    redundant: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

    @pa.check("edge_kinds", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)


class RedundantColumnsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    redundant_with: Series[object]
    reason: Series[str] = pa.Field(isin=list(REDUNDANCY_REASONS))
    value: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1.000001})
    evidence: Series[str]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("redundant_with", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)


class SummarySchema(pa.DataFrameModel):
    schema_pattern: Series[str] = pa.Field(isin=list(SCHEMA_PATTERNS))
    main_component_pattern: Series[str] = pa.Field(isin=list(COMPONENT_PATTERNS))
    tables: Series[int] = pa.Field(ge=0)
    relationships: Series[int] = pa.Field(ge=0)
    components: Series[int] = pa.Field(ge=0)
    isolated_tables: Series[int] = pa.Field(ge=0)
    hubs: Series[object]
    leaves: Series[int] = pa.Field(ge=0)
    bridges: Series[int] = pa.Field(ge=0)
    self_references: Series[int] = pa.Field(ge=0)
    cycles: Series[int] = pa.Field(ge=0)
    column_clusters: Series[int] = pa.Field(ge=0)
    redundant_columns: Series[int] = pa.Field(ge=0)
    evidence: Series[str]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def one_row(cls, frame: pd.DataFrame) -> bool:
        return len(frame) == 1


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "table_graph": TableGraphSchema,
    "table_edges": TableEdgesSchema,
    "cycles": CyclesSchema,
    "column_clusters": ColumnClustersSchema,
    "redundant_columns": RedundantColumnsSchema,
    "summary": SummarySchema,
}
