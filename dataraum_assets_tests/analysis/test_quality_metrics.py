import math

import duckdb
import pytest

from dataraum_assets.analysis.quality_metrics import (
    BENFORD_EXPECTED,
    MODIFIED_Z_CONSTANT,
    OUTPUT_SCHEMAS,
    BenfordTest,
    Finding,
    OutlierTest,
    QualityOptions,
    QualityResult,
    build_quality_metrics,
    chi_square_8_sf,
    nigrini_conformity,
)
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

DEFAULT_OPTIONS = QualityOptions()


def run_quality(
    con: duckdb.DuckDBPyConnection, options: QualityOptions = DEFAULT_OPTIONS
) -> QualityResult:
    """Profile the attached ``typed_tables`` into an attached ``statistical_profiles`` database,
    as the statistical_profiles asset would, then build the quality metrics into ``memory``."""
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE memory")
    return build_quality_metrics(con, options)


# Tukey's and Iglewicz-Hoaglin's fences as printed, on every value and on the linear scale:
# the hand computations below follow the textbooks.
TEXTBOOK_FENCES = QualityOptions(outlier_min_distinct=1, log_scale_skewness=math.inf)


def benford_of(result: QualityResult, column: str) -> BenfordTest:
    (test,) = [t for t in result.benford if t.column_name == column]
    return test


def outliers_of(result: QualityResult, column: str) -> dict[str, OutlierTest]:
    return {t.method: t for t in result.outliers if t.column_name == column}


def findings_of(result: QualityResult, table: str) -> list[Finding]:
    return [f for f in result.findings if f.table_name == table]


def test_chi_square_survival_function_matches_tabulated_critical_values() -> None:
    # χ²₈ critical values from any statistics table: 0.95, 0.05 and 0.01 upper tail.
    assert chi_square_8_sf(2.7326) == pytest.approx(0.95, abs=1e-4)
    assert chi_square_8_sf(15.507) == pytest.approx(0.05, abs=1e-4)
    assert chi_square_8_sf(20.090) == pytest.approx(0.01, abs=1e-4)
    assert chi_square_8_sf(0.0) == 1.0


def test_nigrini_bands() -> None:
    assert [nigrini_conformity(m) for m in (0.0, 0.006, 0.0061, 0.012, 0.015, 0.0151)] == [
        "close",
        "close",
        "acceptable",
        "acceptable",
        "marginal",
        "nonconformity",
    ]


def test_benford_conforming_series_is_close() -> None:
    con = typed_tables_connection()
    values = [10 ** (k / 1000 * 3) for k in range(1000)]
    add_typed_table(con, "measures", {"amount": "DOUBLE"}, [[v] for v in values])
    result = run_quality(con)

    test = benford_of(result, "amount")
    digits = [int(f"{v:e}"[0]) for v in values]
    observed = tuple(digits.count(d) / 1000 for d in range(1, 10))
    assert test.n == 1000
    assert test.observed == pytest.approx(observed)
    assert test.expected == pytest.approx([math.log10(1 + 1 / d) for d in range(1, 10)])
    assert test.mad is not None and test.mad < 0.001
    assert test.conformity == "close"
    assert test.p_value is not None and test.p_value > 0.99
    assert test.skipped_reason is None
    assert not [f for f in result.findings if f.kind == "benford_nonconformity"]


def test_uniform_hundreds_do_not_conform() -> None:
    con = typed_tables_connection()
    # Each value twice, so that the integers are not taken for an identifier.
    values = [[v] for v in range(100, 1000)] * 2
    add_typed_table(con, "measures", {"amount": "INTEGER"}, values)
    # 100..999 spans one order of magnitude: allowed here to test the arithmetic.
    result = run_quality(con, QualityOptions(benford_min_orders=0.5))

    # 1,800 values, 200 per first digit: observed share 1/9 each.
    test = benford_of(result, "amount")
    expected_mad = sum(abs(1 / 9 - e) for e in BENFORD_EXPECTED) / 9
    expected_chi = sum((200 - 1800 * e) ** 2 / (1800 * e) for e in BENFORD_EXPECTED)
    assert test.n == 1800
    assert test.observed == pytest.approx([1 / 9] * 9)
    assert test.mad == pytest.approx(expected_mad)
    assert expected_mad == pytest.approx(0.0597, abs=1e-4)
    assert test.chi_square == pytest.approx(expected_chi)
    assert test.p_value == pytest.approx(0.0, abs=1e-12)
    assert test.conformity == "nonconformity"
    [finding] = [f for f in result.findings if f.kind == "benford_nonconformity"]
    assert (finding.column_name, finding.severity, finding.value) == (
        "amount",
        "warning",
        pytest.approx(expected_mad),
    )


def test_benford_skips_small_identifier_and_year_columns() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "facts",
        {"small": "DOUBLE", "line": "INTEGER", "order_id": "INTEGER", "fiscal_year": "INTEGER"},
        [[float(k + 1), k + 1, k % 50, 2020 + k % 5] for k in range(150)],
    )
    # 50 positive values only: NULL elsewhere, zeros and negatives do not count.
    con.execute(
        "UPDATE typed_tables.typed.facts SET small = CASE WHEN _row <= 50 THEN _row "
        "WHEN _row <= 60 THEN 0 WHEN _row <= 70 THEN -_row END"
    )
    result = run_quality(con)

    assert {t.column_name: (t.n, t.skipped_reason) for t in result.benford} == {
        "small": (50, "too few positive values: 50 < 100"),
        "line": (150, "identifier: every integer value is distinct"),
        "order_id": (147, "identifier: key-like column name"),  # k % 50 is 0 three times
        "fiscal_year": (150, "year: integers within 1800..2100"),
    }
    assert all(t.conformity is None and t.chi_square is None for t in result.benford)
    # Identifiers and years get no outlier tests either; the small measure does.
    assert {t.column_name for t in result.outliers} == {"small"}


def test_iqr_and_modified_z_outliers_by_hand() -> None:
    con = typed_tables_connection()
    values = [5, 5, 5, 5, 5, 6, 6, 6, 7, 10, 40]
    add_typed_table(con, "t", {"quantity": "INTEGER"}, [[v] for v in values])
    result = run_quality(con, TEXTBOOK_FENCES)

    tests = outliers_of(result, "quantity")
    # quantile_cont: p25 at position 2.5 → 5, p75 at 7.5 → (6 + 7) / 2 = 6.5; IQR 1.5.
    iqr = tests["iqr"]
    assert (iqr.lower_fence, iqr.upper_fence) == (5 - 2.25, 6.5 + 2.25)
    assert (iqr.outlier_count, iqr.outlier_ratio, iqr.sample_values) == (2, 2 / 11, ("40", "10"))
    # median 6; |x - 6| = 1,1,1,1,1,0,0,0,1,4,34 → MAD 1; fences 6 ± 3.5 / 0.6745.
    z = tests["modified_z"]
    assert z.lower_fence == pytest.approx(6 - 3.5 / MODIFIED_Z_CONSTANT)
    assert z.upper_fence == pytest.approx(6 + 3.5 / MODIFIED_Z_CONSTANT)
    assert (z.outlier_count, z.outlier_ratio, z.sample_values) == (1, 1 / 11, ("40",))

    kinds = {(f.kind, f.severity, f.value) for f in findings_of(result, "t") if f.column_name}
    assert kinds == {
        ("iqr_outliers", "warning", 2 / 11),
        ("modified_z_outliers", "warning", 1 / 11),
    }


def test_no_modified_z_when_mad_is_zero() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"price": "DOUBLE"}, [[v] for v in [1.0, 1.0, 1.0, 2.0, 9.0]])
    result = run_quality(con, TEXTBOOK_FENCES)
    assert set(outliers_of(result, "price")) == {"iqr"}


def test_discrete_scales_get_no_outlier_fences() -> None:
    con = typed_tables_connection()
    # Nine distinct values (< 10), one far away: a rating scale, not a measure with outliers.
    values = [[v] for v in [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 50]]
    add_typed_table(con, "t", {"rating": "INTEGER"}, values)
    assert outliers_of(run_quality(con), "rating") == {}
    # With the threshold lowered, the same column is tested.
    con = typed_tables_connection()
    add_typed_table(con, "t", {"rating": "INTEGER"}, values)
    assert set(outliers_of(run_quality(con, QualityOptions(outlier_min_distinct=9)), "rating")) == {
        "iqr",
        "modified_z",
    }


def test_skewed_positive_amounts_get_log_scale_fences() -> None:
    # Powers of 2 are evenly spaced on ln: 2^0..2^11 twice, plus one value 2^30 far out.
    values = [2.0**k for k in range(12)] * 2 + [2.0**30]
    con = typed_tables_connection()
    add_typed_table(con, "t", {"amount": "DOUBLE"}, [[v] for v in values])
    iqr = outliers_of(run_quality(con), "amount")["iqr"]
    assert (iqr.scale, iqr.population, iqr.tested_values) == ("log", "all", 25)
    # ln values k·ln2: quantile_cont over 25 sorted exponents (0,0,1,1,..,11,11,30):
    # p25 at position 6 → exponent 3, p75 at 18 → 9; IQR 6 → fences 2^(3 - 9) and 2^(9 + 9).
    assert iqr.lower_fence == pytest.approx(2.0**-6)
    assert iqr.upper_fence == pytest.approx(2.0**18)
    assert (iqr.outlier_count, iqr.sample_values) == (1, ("1073741824.0",))
    # The same values on the linear scale: Tukey's fence flags the whole upper decade.
    con = typed_tables_connection()
    add_typed_table(con, "t", {"amount": "DOUBLE"}, [[v] for v in values])
    linear = outliers_of(run_quality(con, QualityOptions(log_scale_skewness=math.inf)), "amount")
    assert linear["iqr"].scale == "linear"
    # p25 = 2^3, p75 = 2^9 = 512, IQR 504: upper fence 1268 flags 2^11 twice and 2^30.
    assert (linear["iqr"].upper_fence, linear["iqr"].outlier_count) == (1268.0, 3)


def test_zero_inflated_columns_are_tested_on_their_non_zero_values() -> None:
    # A credit column: 0 on the 30 debit lines, amounts 10..29 on the others, one huge amount.
    values = [0.0] * 30 + [float(v) for v in range(10, 30)] + [5000.0]
    con = typed_tables_connection()
    add_typed_table(con, "journal", {"credit": "DOUBLE"}, [[v] for v in values])
    result = run_quality(con)
    tests = outliers_of(result, "credit")
    assert {(t.population, t.tested_values) for t in tests.values()} == {("non_zero", 21)}
    assert {t.sample_values for t in tests.values()} == {("5000.0",)}
    finding = next(f for f in findings_of(result, "journal") if f.kind == "iqr_outliers")
    assert finding.detail.startswith("1 of 21 values (4.76%) outside")
    assert finding.detail.endswith("(iqr, log scale, zeros excluded)")


def test_benford_needs_distinct_magnitudes_spanning_orders() -> None:
    con = typed_tables_connection()
    rows = [
        # 40 distinct discount levels, each 5 times: a code list, not magnitudes.
        [float(k % 40 + 1), 10.0 + (k % 200) * 0.2, 10.0 ** (1 + 3 * k / 199)]
        for k in range(200)
    ]
    add_typed_table(con, "t", {"discount": "DOUBLE", "price": "DOUBLE", "amount": "DOUBLE"}, rows)
    result = run_quality(con)
    assert benford_of(result, "discount").skipped_reason == (
        "too few distinct positive values for a magnitude: 40 < 50 (codes, rates or counters)"
    )
    # 10.0..49.8: p1 ≈ 10.4 and p99 ≈ 49.4, log10 of their ratio 0.68.
    assert benford_of(result, "price").skipped_reason == (
        "values span 0.68 orders of magnitude (p1..p99 of the positive values), Benford needs ≥ 2"
    )
    # 10^1..10^4 spans three orders: tested.
    amount = benford_of(result, "amount")
    assert amount.skipped_reason is None and amount.conformity is not None


def test_duplicate_rows() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "orders",
        {"order_ref": "VARCHAR", "amount": "DOUBLE"},
        [["A", 1.0], ["B", 2.0], ["A", 1.0], ["A", 1.0], ["C", None], ["C", None]],
    )
    result = run_quality(con)
    [finding] = [f for f in result.findings if f.kind == "duplicate_rows"]
    assert finding == Finding(
        table_name="orders",
        column_name=None,
        kind="duplicate_rows",
        severity="error",  # 50% of the rows, above the 5% error threshold
        value=3.0,
        detail="3 of 6 rows (50.00%) repeat an earlier row on every column",
        evidence="duplicate _row: 3, 4, 6",
    )


def test_key_violation_near_constant_constant_and_null_tokens() -> None:
    con = typed_tables_connection()
    rows = [[f"INV-{k:03d}", "paid" if k < 97 else "open", "USD", None] for k in range(100)]
    rows.append(["INV-007", "open", "USD", None])
    for row, note in zip(rows, [" null ", "NONE", "none ", "missing", "call back"], strict=False):
        row[3] = note
    add_typed_table(
        con,
        "invoices",
        {
            "invoice_number": "VARCHAR",
            "status": "VARCHAR",
            "currency": "VARCHAR",
            "note": "VARCHAR",
        },
        rows,
    )
    result = run_quality(con)

    found = {
        (f.column_name, f.kind): (f.severity, f.value, f.evidence)
        for f in findings_of(result, "invoices")
    }
    assert found == {
        ("invoice_number", "key_uniqueness_violation"): ("error", 1.0, "INV-007 ×2"),
        ("status", "near_constant"): ("info", pytest.approx(97 / 101), None),
        ("currency", "constant"): ("info", 1.0, None),
        ("note", "null_token_leftover"): (
            "warning",
            4.0,
            "' null ' ×1, 'NONE' ×1, 'missing' ×1, 'none ' ×1",
        ),
    }
    # Most severe first.
    assert [f.severity for f in result.findings] == ["error", "warning", "info", "info"]


def test_key_columns_far_from_unique_are_not_violations() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "lines", {"invoice_id": "VARCHAR"}, [[f"I{k % 10}"] for k in range(100)])
    result = run_quality(con)
    assert not [f for f in result.findings if f.kind == "key_uniqueness_violation"]


def test_output_validates_against_schemas() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "mixed",
        {"amount": "DECIMAL(12,2)", "ratio": "DOUBLE", "label": "VARCHAR", "customer_id": "BIGINT"},
        [[k * 1.5 + 0.25, 10 ** (k % 7 / 2), ["x", "NULL "][k % 2], k] for k in range(200)]
        + [[None, math.inf, None, 5]],
    )
    add_typed_table(con, "empty", {"amount": "DOUBLE"}, [])
    build = run_quality(con)
    assert build.benford and build.outliers and build.findings
    for table, schema in OUTPUT_SCHEMAS.items():
        frame = con.sql(f"SELECT * FROM {table}").df()
        assert len(frame) == len(getattr(build, table))
        schema.validate(frame, lazy=True)


def test_empty_source_writes_empty_valid_tables() -> None:
    con = typed_tables_connection()
    result = run_quality(con)
    assert result == QualityResult()
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.sql(f"SELECT * FROM {table}").df(), lazy=True)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="near_constant_share"):
        QualityOptions(near_constant_share=0)
