"""Pure analysis code: no module in this package imports dagster."""
