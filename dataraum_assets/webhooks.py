"""Outgoing webhooks for finished runs: configuration, payload, signature, delivery, log.

No dagster import: `dataraum_assets/sensors/run_notifications.py` reads the run from the
instance and calls :func:`notify`. Configuration is a YAML file (``$DATARAUM_WEBHOOKS_FILE``,
else ``<data_dir>/webhooks.yaml``)::

    webhooks:
      - url: https://hooks.example.com/dataraum
        events: [success, failure]          # default: both
        secret_env: DATARAUM_WEBHOOK_SECRET # env var holding the HMAC key; optional
        max_attempts: 4                     # default 4, at most 8
        backoff_seconds: 1.0                # retry n waits backoff * 2**(n-1), jittered
        timeout_seconds: 10

Each POST carries ``X-Dataraum-Signature-256: sha256=<hex HMAC-SHA256 of the body>`` when the
target has a secret, ``X-Dataraum-Event`` and ``X-Dataraum-Delivery`` (``<run id>:<event>``,
stable across retries and re-deliveries so receivers can drop duplicates). Every delivery is
appended to ``<data_dir>/webhooks/deliveries.jsonl`` with the URL stripped of credentials and
query string; secrets never reach the log.
"""

import hashlib
import hmac
import json
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import requests
import yaml

logger = logging.getLogger(__name__)

WEBHOOKS_FILE_ENV_VAR = "DATARAUM_WEBHOOKS_FILE"
SIGNATURE_HEADER = "X-Dataraum-Signature-256"
EVENT_HEADER = "X-Dataraum-Event"
DELIVERY_HEADER = "X-Dataraum-Delivery"
EVENTS = ("success", "failure")
MAX_ATTEMPTS_LIMIT = 8
TOP_ISSUES_IN_PAYLOAD = 5
# Retried: the receiver may recover. Any other 4xx is the request's fault and is not retried.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookConfigError(ValueError):
    """The webhooks file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    events: frozenset[str] = frozenset(EVENTS)
    secret_env: str | None = None
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    seconds: float


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event: str
    url: str  # redacted: no credentials, no query string
    run_id: str
    source: str | None
    delivered: bool
    attempts: tuple[Attempt, ...]
    signed: bool
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def webhooks_file(data_dir: Path) -> Path:
    """``$DATARAUM_WEBHOOKS_FILE`` when set, else ``<data_dir>/webhooks.yaml``."""
    configured = os.environ.get(WEBHOOKS_FILE_ENV_VAR)
    return Path(configured) if configured else data_dir / "webhooks.yaml"


def deliveries_log(data_dir: Path) -> Path:
    return data_dir / "webhooks" / "deliveries.jsonl"


def load_targets(path: Path) -> list[WebhookTarget]:
    """The targets configured in ``path``; none when the file does not exist."""
    if not path.exists():
        return []
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise WebhookConfigError(f"{path}: not valid YAML: {error}") from error
    entries = document.get("webhooks") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise WebhookConfigError(f"{path}: expected a top-level `webhooks:` list")
    return [_target(path, index, entry) for index, entry in enumerate(entries)]


def _target(path: Path, index: int, entry: object) -> WebhookTarget:
    where = f"{path}: webhooks[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        raise WebhookConfigError(f"{where}: each entry needs a `url` string")
    unknown = set(entry) - {f for f in WebhookTarget.__dataclass_fields__}
    if unknown:
        raise WebhookConfigError(f"{where}: unknown keys {sorted(unknown)}")
    if urlsplit(entry["url"]).scheme not in ("http", "https"):
        raise WebhookConfigError(f"{where}: url must be http(s)")
    events = entry.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or set(events) - set(EVENTS):
        raise WebhookConfigError(f"{where}: events must be a non-empty list of {list(EVENTS)}")
    max_attempts = int(entry.get("max_attempts", 4))
    if not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        raise WebhookConfigError(f"{where}: max_attempts must be 1..{MAX_ATTEMPTS_LIMIT}")
    return WebhookTarget(
        url=entry["url"],
        events=frozenset(events),
        secret_env=entry.get("secret_env"),
        max_attempts=max_attempts,
        backoff_seconds=float(entry.get("backoff_seconds", 1.0)),
        timeout_seconds=float(entry.get("timeout_seconds", 10.0)),
    )


def sign(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``body`` keyed by
    ``secret`` (receivers recompute it and compare with ``hmac.compare_digest``)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def redact_url(url: str) -> str:
    """``url`` without user info, query string and fragment (where tokens tend to live)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def entropy_summary(warehouse_dir: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Readiness counts and the top issues from ``entropy_context.duckdb`` of a source's
    warehouse folder, or ``(None, [])`` when entropy_context has not run."""
    path = warehouse_dir / "entropy_context.duckdb"
    if not path.exists():
        return None, []
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        readiness: dict[str, Any] | None = None
        if "readiness" in tables:
            counts = con.execute(
                "SELECT readiness, count(*) FROM readiness GROUP BY readiness ORDER BY readiness"
            ).fetchall()
            source_level = con.execute(
                "SELECT contract, readiness FROM readiness WHERE target_type = 'source' "
                "ORDER BY contract"
            ).fetchall()
            readiness = {
                "counts": {str(level): int(n) for level, n in counts},
                "source": {str(contract): str(level) for contract, level in source_level},
            }
        issues: list[dict[str, Any]] = []
        if "top_issues" in tables:
            cursor = con.execute(
                "SELECT rank, table_name, column_name, dimension, score, issue FROM top_issues "
                "ORDER BY rank LIMIT ?",
                [TOP_ISSUES_IN_PAYLOAD],
            )
            names = [column[0] for column in cursor.description or []]
            issues = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return readiness, issues
    finally:
        con.close()


@dataclass(frozen=True)
class RunOutcome:
    """What the payload says about a finished run."""

    run_id: str
    job_name: str
    status: str  # SUCCESS | FAILURE
    source: str | None
    tags: Mapping[str, str]
    started_at: float | None
    ended_at: float | None
    assets: Sequence[str]
    row_counts: Mapping[str, int]
    error: str | None = None
    failed_steps: Sequence[str] = ()


def build_payload(
    outcome: RunOutcome,
    readiness: dict[str, Any] | None,
    top_issues: list[dict[str, Any]],
    run_url: str | None = None,
) -> dict[str, Any]:
    event = "success" if outcome.status == "SUCCESS" else "failure"
    return {
        "event": f"run.{event}",
        "source": outcome.source,
        "run_id": outcome.run_id,
        "job": outcome.job_name,
        "status": outcome.status,
        "started_at": outcome.started_at,
        "ended_at": outcome.ended_at,
        "triggered_by": outcome.tags.get("triggered_by") or outcome.tags.get("dataraum/trigger"),
        "assets": list(outcome.assets),
        "row_counts": dict(outcome.row_counts),
        "readiness": readiness,
        "top_issues": top_issues,
        "error": outcome.error,
        "failed_steps": list(outcome.failed_steps),
        "run_url": run_url,
    }


Poster = Callable[[str, bytes, Mapping[str, str], float], int]


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    return requests.post(url, data=body, headers=dict(headers), timeout=timeout).status_code


def deliver(
    target: WebhookTarget,
    payload: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    post: Poster = _post,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Delivery:
    """POST ``payload`` to ``target``, retrying connection errors, timeouts, 5xx, 408 and 429
    up to ``max_attempts`` times; retry n waits ``backoff_seconds * 2**(n-1)`` ± 50 %."""
    environ = os.environ if environ is None else environ
    rng = rng or random.Random()
    event = str(payload["event"]).removeprefix("run.")
    delivery_id = f"{payload['run_id']}:{event}"
    body = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dataraum-assets-webhook",
        EVENT_HEADER: f"run.{event}",
        DELIVERY_HEADER: delivery_id,
    }
    secret = environ.get(target.secret_env) if target.secret_env else None
    if target.secret_env and not secret:
        logger.warning(
            "webhook %s: $%s is not set; sending unsigned",
            redact_url(target.url),
            target.secret_env,
        )
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    attempts: list[Attempt] = []
    for number in range(1, target.max_attempts + 1):
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status = post(target.url, body, headers, target.timeout_seconds)
        except requests.RequestException as exc:
            # The exception text may quote the URL (with its query string): keep only its kind.
            error = type(exc).__name__
        attempts.append(Attempt(status, error, round(time.monotonic() - started, 3)))
        if status is not None and 200 <= status < 300:
            break
        if status is not None and status not in RETRY_STATUSES:
            break
        if number < target.max_attempts:
            sleep(target.backoff_seconds * 2 ** (number - 1) * rng.uniform(0.5, 1.5))
    last = attempts[-1]
    return Delivery(
        delivery_id=delivery_id,
        event=event,
        url=redact_url(target.url),
        run_id=str(payload["run_id"]),
        source=payload.get("source"),
        delivered=last.status_code is not None and 200 <= last.status_code < 300,
        attempts=tuple(attempts),
        signed=bool(secret),
    )


def append_log(path: Path, deliveries: Sequence[Delivery]) -> None:
    """Append one JSON line per delivery (one write per line, so concurrent appends from
    several sensor ticks do not interleave within a line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        for delivery in deliveries:
            log.write(json.dumps(asdict(delivery), sort_keys=True) + "\n")


def notify(
    data_dir: Path,
    outcome: RunOutcome,
    *,
    run_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    post: Poster = _post,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Deliver the run's notification to every target subscribed to its event and log the
    deliveries. Returns them (empty when no target is configured)."""
    event = "success" if outcome.status == "SUCCESS" else "failure"
    targets = [t for t in load_targets(webhooks_file(data_dir)) if event in t.events]
    if not targets:
        return []
    readiness, issues = (None, [])
    if outcome.source:
        try:
            readiness, issues = entropy_summary(data_dir / "warehouse" / outcome.source)
        except duckdb.Error as error:
            # A notification without readiness beats no notification.
            logger.warning(
                "webhooks: could not read entropy_context of %s: %s", outcome.source, error
            )
    payload = build_payload(outcome, readiness, issues, run_url)
    deliveries = [
        deliver(target, payload, environ=environ, post=post, sleep=sleep) for target in targets
    ]
    append_log(deliveries_log(data_dir), deliveries)
    return deliveries
