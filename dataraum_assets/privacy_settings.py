"""The ``privacy:`` section of a source's ``dataraum.yaml`` (every key optional).

Example::

    privacy:
      pii:                          # overrides of dataraum_assets/analysis/pii_patterns.yaml
        confidence_threshold: 0.8
        disabled_kinds: [postal_code]
        kinds:
          employee_badge:           # a kind of your own
            frameworks: [GDPR]
            detection: value
            pattern: "EMP-[0-9]{6}"
            redaction: keyed_hash
      redaction:
        strategies: {phone: drop}   # per PII kind
        columns: {customers.city: generalize}
        key_env_var: DATARAUM_REDACTION_KEY
      synthetic:
        rows: 1000
        seed: 7
      exports:
        kinds: [redacted, synthetic]

Secrets never live here: ``key_env_var`` names the environment variable holding the key.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Strategy = Literal["mask", "keyed_hash", "drop", "generalize", "keep"]
ExportKind = Literal["typed", "redacted", "synthetic"]
DEFAULT_KEY_ENV_VAR = "DATARAUM_REDACTION_KEY"


class RedactionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    strategies: dict[str, Strategy] = Field(
        default_factory=dict,
        description="PII kind → strategy, replacing the kind's default from the pattern library.",
    )
    columns: dict[str, Strategy] = Field(
        default_factory=dict,
        description="'table.column' → strategy, for one column (PII found or not).",
    )
    key_env_var: str = Field(
        default=DEFAULT_KEY_ENV_VAR,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the HMAC key of keyed_hash (never the key).",
    )
    mask_keep_last: int = Field(default=4, ge=0, le=8, description="Characters mask keeps.")
    postal_code_prefix: int = Field(
        default=3, ge=1, le=6, description="Characters generalize keeps of a postal code."
    )


class SyntheticSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int | None = Field(
        default=None, ge=1, description="Rows per synthetic table; default: as many as the real."
    )
    max_rows: int = Field(
        default=100_000, ge=1, description="Cap of the default row count per table."
    )
    tables: dict[str, int] = Field(
        default_factory=dict, description="Table → rows, overriding rows for that table."
    )
    seed: int = Field(default=0, description="Seed of every random draw (same seed, same rows).")
    fit_rows: int = Field(
        default=100_000, ge=100, description="Real rows (deterministic sample) the model is fit on."
    )


class ExportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: tuple[ExportKind, ...] = Field(
        default=("typed", "redacted", "synthetic"), description="Which tables are exported."
    )


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pii: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the PII pattern library (pii_patterns.yaml's keys).",
    )
    redaction: RedactionSettings = RedactionSettings()
    synthetic: SyntheticSettings = SyntheticSettings()
    exports: ExportSettings = ExportSettings()
