"""Dagster assets: thin wrappers that open the warehouse, call one analysis and report."""
