"""dataraum_assets: a Dagster code location that pre-computes a trust-scored context about data."""
