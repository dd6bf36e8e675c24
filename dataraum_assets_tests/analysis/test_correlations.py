import math
import random
import statistics

import duckdb
import numpy as np
import pytest
from scipy import stats

from dataraum_assets.analysis.correlations import (
    OUTPUT_SCHEMAS,
    CorrelationOptions,
    CorrelationResult,
    DerivedColumn,
    FunctionalDependency,
    NumericCorrelation,
    build_correlations,
    condition_index,
    cramers_v,
    strength,
)
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)


def run_correlations(
    con: duckdb.DuckDBPyConnection, options: CorrelationOptions | None = None
) -> CorrelationResult:
    """Profile the attached ``typed_tables`` into an attached ``statistical_profiles`` database,
    as the statistical_profiles asset would, then build the correlations into ``memory``."""
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE memory")
    return build_correlations(con, options or CorrelationOptions())


def pair(result: CorrelationResult, a: str, b: str) -> NumericCorrelation:
    (found,) = [p for p in result.numeric_correlations if (p.column_a, p.column_b) == (a, b)]
    return found


def derived(result: CorrelationResult) -> dict[str, DerivedColumn]:
    return {d.expression: d for d in result.derived_columns}


def dependencies(result: CorrelationResult) -> dict[tuple[str, str], FunctionalDependency]:
    return {
        (d.determinant_columns[0], d.dependent_column): d for d in result.functional_dependencies
    }


def average_ranks(values: list[float]) -> list[float]:
    ordered = sorted(values)
    return [
        ordered.index(v) + 1 + (ordered.count(v) - 1) / 2 for v in values
    ]  # textbook mean rank of ties


def test_pearson_and_spearman_match_the_textbook() -> None:
    con = typed_tables_connection()
    x = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0, 8.0, 8.0, 13.0, 21.0]
    y = [v**2 for v in x]  # monotone, not linear
    z = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]
    add_typed_table(
        con, "m", {"x": "DOUBLE", "y": "DOUBLE", "z": "DOUBLE"}, list(zip(x, y, z, strict=True))
    )
    result = run_correlations(con)
    xy, xz = pair(result, "x", "y"), pair(result, "x", "z")
    assert xy.pearson == pytest.approx(statistics.correlation(x, y))
    assert xy.spearman == pytest.approx(1.0)
    assert xz.pearson == pytest.approx(statistics.correlation(x, z))
    assert xz.spearman == pytest.approx(statistics.correlation(average_ranks(x), average_ranks(z)))
    r = statistics.correlation(x, y)
    t = r * math.sqrt(8 / (1 - r * r))
    assert xy.p_value == pytest.approx(2 * stats.t.sf(t, 8))
    assert (xy.n, xy.sampled, xy.strength) == (10, False, "very_strong")
    assert xz.strength == strength(max(abs(xz.pearson or 0), abs(xz.spearman or 0)))


def test_pairs_use_rows_where_both_values_are_present() -> None:
    con = typed_tables_connection()
    rows = [(1.0, 2.0), (2.0, 4.1), (3.0, None), (None, 9.0), (4.0, 7.9), (5.0, 10.0)]
    add_typed_table(con, "m", {"a": "DOUBLE", "b": "DOUBLE"}, rows)
    found = pair(run_correlations(con), "a", "b")
    complete = [(a, b) for a, b in rows if a is not None and b is not None]
    assert found.n == 4
    assert found.pearson == pytest.approx(statistics.correlation(*zip(*complete, strict=True)))


def test_identifiers_are_skipped_with_a_reason() -> None:
    con = typed_tables_connection()
    rows = [(k, k % 3, float(k * 2), float(k % 4)) for k in range(1, 21)]
    add_typed_table(
        con, "t", {"seq": "BIGINT", "store_id": "BIGINT", "x": "DOUBLE", "y": "DOUBLE"}, rows
    )
    result = run_correlations(con)
    skipped = {(s.column_name, s.analysis): s.reason for s in result.skipped_columns}
    assert skipped[("seq", "numeric")] == "identifier: every integer value is distinct"
    assert skipped[("store_id", "numeric")] == "identifier: key-like column name"
    assert [(p.column_a, p.column_b) for p in result.numeric_correlations] == [("x", "y")]


def test_cramers_v_is_one_for_a_perfect_association_and_zero_for_independence() -> None:
    con = typed_tables_connection()
    colours = ["red", "green", "blue"]
    rows = [
        (colour, colour.upper(), size, flag)
        for colour in colours
        for size in ("S", "M", "L", "XL")
        for flag in (True, False)
        for _ in range(3)
    ]
    add_typed_table(
        con,
        "c",
        {"colour": "VARCHAR", "code": "VARCHAR", "size": "VARCHAR", "flag": "BOOLEAN"},
        rows,
    )
    result = run_correlations(con)
    v = {(a.column_a, a.column_b): a for a in result.categorical_associations}
    assert v[("colour", "code")].cramers_v == pytest.approx(1.0)
    assert v[("colour", "code")].strength == "very_strong"
    # Every combination equally often: χ² = 0, so V = 0 and p = 1.
    for key in (("colour", "size"), ("colour", "flag"), ("size", "flag")):
        assert v[key].cramers_v == 0.0, key
        assert v[key].chi_square == pytest.approx(0.0), key
        assert v[key].p_value == pytest.approx(1.0), key
    assert v[("colour", "size")].dof == 6
    assert v[("colour", "size")].n == len(rows)


def test_cramers_v_bias_correction_follows_bergsma() -> None:
    table = np.array([[30.0, 10.0], [10.0, 30.0]])
    v, chi_square, dof, p_value = cramers_v(table)
    n = 80
    expected_chi2 = 4 * (30 - 20) ** 2 / 20  # every expected count is 20
    phi2 = max(0.0, expected_chi2 / n - 1 / (n - 1))
    k = 2 - 1 / (n - 1)
    assert chi_square == pytest.approx(expected_chi2)
    assert v == pytest.approx(math.sqrt(phi2 / (k - 1)))
    assert dof == 1
    assert p_value == pytest.approx(stats.chi2.sf(expected_chi2, 1))
    assert v is not None and v < math.sqrt(expected_chi2 / n)  # corrected is smaller
    assert cramers_v(np.array([[5.0, 5.0]]))[0] is None  # one row category: undefined


def test_high_cardinality_and_unique_text_are_not_categories() -> None:
    con = typed_tables_connection()
    rows = [(f"name {k}", f"g{k % 3}", f"h{k % 7}") for k in range(60)]
    add_typed_table(con, "t", {"name": "VARCHAR", "g": "VARCHAR", "h": "VARCHAR"}, rows)
    result = run_correlations(con, CorrelationOptions(max_categories=5))
    skipped = {(s.column_name, s.analysis): s.reason for s in result.skipped_columns}
    assert skipped[("name", "categorical")] == "every value is distinct: not a category"
    assert skipped[("h", "categorical")] == "7 distinct values > 5"
    assert result.categorical_associations == ()


def test_categories_beyond_the_dependency_cap_are_still_associated() -> None:
    con = typed_tables_connection()
    rows = [(f"a{k % 3}", f"b{k % 3}", f"c{k % 2}", f"d{k % 2}") for k in range(60)]
    add_typed_table(con, "w", {name: "VARCHAR" for name in "abcd"}, rows)
    result = run_correlations(con, CorrelationOptions(fd_max_columns=2))
    v = {(a.column_a, a.column_b): a.cramers_v for a in result.categorical_associations}
    assert v[("c", "d")] == pytest.approx(1.0)
    assert len(v) == 6
    assert {
        (d.determinant_columns[0], d.dependent_column) for d in result.functional_dependencies
    } == {
        ("a", "b"),
        ("b", "a"),
    }
    reasons = {(s.column_name, s.reason) for s in result.skipped_columns}
    assert ("c", "beyond the first 2 columns tested for dependencies") in reasons


def amounts_table(con: duckdb.DuckDBPyConnection, off_in_ten: int) -> None:
    """net, tax (0 on every fifth row), total = net + tax except on ``off_in_ten`` of every ten
    rows with a tax, where it is 5% higher."""
    rng = random.Random(7)
    rows = []
    taxed = 0
    for k in range(100):
        net = round(rng.uniform(10, 1000), 2)
        tax = 0.0 if k % 5 == 0 else round(net * 0.2, 2)
        total = round(net + tax, 2)
        if tax:
            if taxed % 10 < off_in_ten:
                total = round(total * 1.05, 2)
            taxed += 1
        rows.append((net, tax, total))
    add_typed_table(con, "inv", {"net": "DOUBLE", "tax": "DOUBLE", "total": "DOUBLE"}, rows)


def test_derived_sum_is_found() -> None:
    con = typed_tables_connection()
    amounts_table(con, off_in_ten=0)
    found = derived(run_correlations(con))
    # tax = 0.2 × net is a product with a constant, not of two columns: not reported.
    assert list(found) == ["total = net + tax"]
    relation = found["total = net + tax"]
    assert (relation.target_column, relation.operation, relation.operand_columns) == (
        "total",
        "add",
        ("net", "tax"),
    )
    # Rows with tax = 0 say nothing about a sum and are not tested.
    assert (relation.match_rate, relation.rows_tested, relation.sampled) == (1.0, 80, False)


def test_derived_ignores_rows_with_a_null() -> None:
    # Regression: fetchnumpy returns masked arrays for columns with nulls, and np.asarray
    # turned the nulls into 0, so a missing total counted as a tested row that failed.
    con = typed_tables_connection()
    amounts_table(con, off_in_ten=0)
    con.execute("UPDATE typed_tables.typed.inv SET total = NULL WHERE _row % 10 = 2")
    relation = derived(run_correlations(con))["total = net + tax"]
    assert (relation.match_rate, relation.rows_tested) == (1.0, 70)


def test_derived_sum_matching_seventy_percent_is_not_found() -> None:
    con = typed_tables_connection()
    amounts_table(con, off_in_ten=3)
    assert derived(run_correlations(con)) == {}
    con = typed_tables_connection()
    amounts_table(con, off_in_ten=3)
    found = derived(run_correlations(con, CorrelationOptions(derived_min_match_rate=0.6)))
    assert found["total = net + tax"].match_rate == pytest.approx(56 / 80)


def test_screening_keeps_relations_spread_over_the_rows() -> None:
    con = typed_tables_connection()
    rng = random.Random(13)
    rows = []
    for k in range(3_000):
        a, b = rng.randint(2, 500), rng.randint(2, 500)
        # s = a + b on 85% of the rows, the misses periodic (3 in every 20 rows); p = a × b on
        # the first half of the file only (50%): the screen sees both as they are overall.
        s_value = a + b if k % 20 >= 3 else (a + b) * 1.5
        p_value = a * b if k < 1_500 else a * b * 1.5
        rows.append((float(a), float(b), float(s_value), float(p_value)))
    add_typed_table(con, "s", {"a": "DOUBLE", "b": "DOUBLE", "s": "DOUBLE", "p": "DOUBLE"}, rows)
    options = CorrelationOptions(derived_screen_rows=100)
    found = derived(run_correlations(con, options))
    assert set(found) == {"s = a + b"}
    assert found["s = a + b"].match_rate == pytest.approx(0.85)
    assert found["s = a + b"].rows_tested == 3_000


def test_derived_difference_and_quotient_name_the_last_column() -> None:
    con = typed_tables_connection()
    rng = random.Random(5)
    rows = []
    for _ in range(50):
        price, cost, qty = rng.randint(20, 90), rng.randint(2, 19), rng.randint(2, 30)
        # margin = price − cost follows its inputs; qty is stored after revenue = price × qty
        rows.append((float(price), float(cost), float(price - cost), float(price * qty), qty))
    add_typed_table(
        con,
        "p",
        {"price": "DOUBLE", "cost": "DOUBLE", "margin": "DOUBLE", "revenue": "DOUBLE"}
        | {"qty": "DOUBLE"},
        rows,
    )
    found = derived(run_correlations(con))
    assert set(found) == {"margin = price − cost", "qty = revenue ÷ price"}
    margin = found["margin = price − cost"]
    assert (margin.operation, margin.operand_columns) == ("subtract", ("price", "cost"))
    quotient = found["qty = revenue ÷ price"]
    assert (quotient.operation, quotient.operand_columns) == ("divide", ("revenue", "price"))
    assert (quotient.match_rate, quotient.rows_tested) == (1.0, 50)


def test_operand_that_is_mostly_zero_does_not_make_a_relation() -> None:
    con = typed_tables_connection()
    rng = random.Random(3)
    rows = []
    for k in range(100):
        a = round(rng.uniform(1, 100), 2)
        c = 0.0 if k % 10 else round(rng.uniform(1, 5), 2)  # zero on 90% of the rows
        rows.append((a, c, a))  # b = a: "b = a + c" holds only where c = 0
    add_typed_table(con, "z", {"a": "DOUBLE", "c": "DOUBLE", "b": "DOUBLE"}, rows)
    assert derived(run_correlations(con)) == {}


def dependency_table(con: duckdb.DuckDBPyConnection, violations: int) -> None:
    # 40 rows, 8 types of 5 rows each; kind → balance except on ``violations`` rows.
    rows = []
    for k in range(40):
        kind = f"type{k // 5}"
        balance = "debit" if (k // 5) % 2 == 0 else "credit"
        if k % 5 == 0 and k // 5 < violations:
            balance = "credit" if balance == "debit" else "debit"
        rows.append((f"acct{k}", kind, balance, "same" if k else "other"))
    add_typed_table(
        con,
        "coa",
        {"account": "VARCHAR", "kind": "VARCHAR", "balance": "VARCHAR", "flag": "VARCHAR"},
        rows,
    )


def test_functional_dependency_is_found() -> None:
    con = typed_tables_connection()
    dependency_table(con, violations=0)
    found = dependencies(run_correlations(con))
    fd = found[("kind", "balance")]
    assert (fd.confidence, fd.determinant_distinct, fd.violating_rows, fd.n) == (1.0, 8, 0, 40)
    assert fd.baseline == 0.5
    # account is unique: it determines everything, trivially. flag is 39 × "same": any column
    # "determines" it with ≥ 0.95 (baseline 0.975), so that says nothing either.
    assert not [key for key in found if "account" in key or "flag" in key]
    assert ("balance", "kind") not in found  # two balances cannot give eight kinds


def test_functional_dependency_below_confidence_is_not_found() -> None:
    con = typed_tables_connection()
    dependency_table(con, violations=1)  # 39/40 = 0.975: still a dependency
    fd = dependencies(run_correlations(con))[("kind", "balance")]
    assert (fd.confidence, fd.violating_rows) == (39 / 40, 1)
    con = typed_tables_connection()
    dependency_table(con, violations=3)  # 37/40 = 0.925
    assert ("kind", "balance") not in dependencies(run_correlations(con))


def test_values_seen_once_are_no_evidence_of_a_dependency() -> None:
    # 60 rows, 58 distinct codes: 57 codes occur once and agree with themselves; the one
    # repeated code (3 rows) has three different values. Counting every row would give a
    # "confidence" of 58/60 = 0.967.
    rows = [(f"c{min(k, 57)}", f"v{k % 4}") for k in range(60)]
    con = typed_tables_connection()
    add_typed_table(con, "n", {"code": "VARCHAR", "value": "VARCHAR"}, rows)
    # The determinant-ratio guard alone already rules code out ...
    assert dependencies(run_correlations(con)) == {}
    # ... and without it, the three rows that are evidence disagree.
    con = typed_tables_connection()
    add_typed_table(con, "n", {"code": "VARCHAR", "value": "VARCHAR"}, rows)
    options = CorrelationOptions(fd_max_determinant_ratio=1.0, fd_min_rows=2)
    assert dependencies(run_correlations(con, options)) == {}


def test_multicollinearity_condition_index() -> None:
    con = typed_tables_connection()
    rng = random.Random(11)
    rows = []
    for _ in range(200):
        a, b, noise = rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1)
        rows.append((a, b, a + b, noise))
    add_typed_table(
        con, "mc", {"a": "DOUBLE", "b": "DOUBLE", "s": "DOUBLE", "noise": "DOUBLE"}, rows
    )
    (found,) = run_correlations(con).multicollinearity
    assert found.columns == ("a", "b", "s", "noise")
    assert found.severity == "strong"
    assert found.condition_index > 1000
    assert set(found.involved_columns) == {"a", "b", "s"}
    matrix = np.corrcoef(np.array(rows).T)
    eigen = np.linalg.eigvalsh(matrix)
    expected = math.sqrt(eigen[-1] / max(eigen[0], eigen[-1] * 1e-12))
    assert found.condition_index == pytest.approx(expected, rel=1e-3)


def test_condition_index_of_uncorrelated_columns_is_one() -> None:
    index, smallest, _ = condition_index(np.eye(3))
    assert (index, smallest) == (1.0, 1.0)
    index, _, _ = condition_index(np.array([[1.0, 0.6], [0.6, 1.0]]))
    assert index == pytest.approx(2.0)  # √(1.6 / 0.4)


def big_table(con: duckdb.DuckDBPyConnection, rows: int, reverse: bool = False) -> None:
    con.execute(
        "CREATE TABLE typed_tables.typed.big AS SELECT range + 1 AS _row, "
        "CAST(range % 97 AS DOUBLE) AS x, CAST((range * 7) % 89 AS DOUBLE) AS y, "
        "'g' || (range % 3) AS g, 'h' || (range % 5) AS h FROM range(?) "
        f"ORDER BY _row {'DESC' if reverse else 'ASC'}",
        [rows],
    )


def test_sampling_above_the_threshold_is_recorded_and_deterministic() -> None:
    options = CorrelationOptions(sample_above_rows=2_000, sample_rows=500, seed=9)
    results = []
    for reverse in (False, True):
        con = typed_tables_connection()
        big_table(con, 5_000, reverse=reverse)
        results.append(run_correlations(con, options))
    first, second = results
    (sample,) = first.table_samples
    assert (sample.rows, sample.sampled, sample.seed) == (5_000, True, 9)
    assert 350 <= sample.sample_size <= 650  # every 10th row by hash, ~500
    assert pair(first, "x", "y").n == sample.sample_size
    assert all(p.sampled for p in first.numeric_correlations)
    assert all(a.sampled for a in first.categorical_associations)
    # The sample depends on _row only, and arrays are read in _row order: the same rows stored
    # in another order give exactly the same results.
    assert first == second
    con = typed_tables_connection()
    big_table(con, 5_000)
    other_seed = run_correlations(con, CorrelationOptions(2_000, 500, seed=10))
    assert other_seed.table_samples[0].sample_size != sample.sample_size or (
        pair(other_seed, "x", "y").pearson != pair(first, "x", "y").pearson
    )


def test_no_sampling_at_or_below_the_threshold() -> None:
    con = typed_tables_connection()
    big_table(con, 2_000)
    result = run_correlations(con, CorrelationOptions(sample_above_rows=2_000, sample_rows=500))
    (sample,) = result.table_samples
    assert (sample.sampled, sample.sample_size, sample.seed) == (False, 2_000, None)
    assert not any(p.sampled for p in result.numeric_correlations)


def test_outputs_exist_and_match_their_schemas() -> None:
    con = typed_tables_connection()
    amounts_table(con, off_in_ten=0)
    dependency_table(con, violations=0)
    add_typed_table(con, "empty", {"a": "DOUBLE", "b": "VARCHAR"}, [])
    run_correlations(con)
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.execute(f"SELECT * FROM {table}").df())
    [(rows,)] = con.execute("SELECT count(*) FROM derived_columns").fetchall()
    assert rows == 1
    assert con.execute(
        "SELECT sampled, sample_size FROM table_samples WHERE table_name = 'empty'"
    ).fetchall() == [(False, 0)]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="sample_rows"):
        CorrelationOptions(sample_above_rows=10, sample_rows=20)
    with pytest.raises(ValueError, match="fd_min_confidence"):
        CorrelationOptions(fd_min_confidence=1.5)
    with pytest.raises(ValueError, match="max_categories"):
        CorrelationOptions(max_categories=1)
