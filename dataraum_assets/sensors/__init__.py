"""Sensors: thin wrappers that read their cursor, call a pure diff and request runs."""
