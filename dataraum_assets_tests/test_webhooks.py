"""Webhook delivery logic against a real HTTP receiver on loopback (no Dagster involved)."""

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dataraum_assets.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    RunOutcome,
    WebhookConfigError,
    WebhookTarget,
    build_payload,
    deliver,
    entropy_summary,
    load_targets,
    notify,
    redact_url,
    sign,
)
from dataraum_assets_tests.deployment import free_loopback_port
from dataraum_assets_tests.webhook_receiver import Receiver, running_receiver

SECRET = "s3cret-for-tests"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def _outcome(status: str = "SUCCESS", source: str | None = "shop") -> RunOutcome:
    return RunOutcome(
        run_id="run-1",
        job_name="__ASSET_JOB",
        status=status,
        source=source,
        tags={"triggered_by": "me"},
        started_at=10.0,
        ended_at=12.5,
        assets=["raw_tables", "typed_tables"],
        row_counts={"typed_tables": 42},
        error="raw_tables: boom" if status == "FAILURE" else None,
        failed_steps=["raw_tables"] if status == "FAILURE" else [],
    )


class _Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_sign_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231, test case 2.
    assert sign(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_redact_url_drops_credentials_query_and_fragment() -> None:
    assert redact_url("https://user:pw@hooks.example.com:8443/a/b?token=x#f") == (
        "https://hooks.example.com:8443/a/b"
    )


def test_load_targets_reads_defaults_and_names_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.yaml"
    assert load_targets(path) == []
    path.write_text(
        "webhooks:\n  - url: https://a.example/x\n  - url: http://b.example\n"
        "    events: [failure]\n    secret_env: KEY\n    max_attempts: 2\n"
    )
    assert load_targets(path) == [
        WebhookTarget(url="https://a.example/x"),
        WebhookTarget(
            url="http://b.example", events=frozenset({"failure"}), secret_env="KEY", max_attempts=2
        ),
    ]
    for body, reason in [
        ("webhooks:\n  - url: ftp://x\n", "url must be http(s)"),
        ("webhooks:\n  - url: http://x\n    events: [done]\n", "events must be"),
        ("webhooks:\n  - url: http://x\n    max_attempts: 0\n", "max_attempts must be"),
        ("webhooks:\n  - url: http://x\n    secret: abc\n", "unknown keys ['secret']"),
        ("hooks: []\n", "top-level `webhooks:` list"),
    ]:
        path.write_text(body)
        with pytest.raises(WebhookConfigError, match=re.escape(reason)) as raised:
            load_targets(path)
        assert str(path) in str(raised.value)


def test_deliver_signs_and_succeeds_first_time(receiver: Receiver) -> None:
    payload = build_payload(_outcome(), None, [])
    target = WebhookTarget(url=f"{receiver.url}/ok", secret_env="HOOK_KEY")
    delivery = deliver(target, payload, environ={"HOOK_KEY": SECRET}, sleep=_Sleeps())
    assert delivery.delivered and delivery.signed
    assert [a.status_code for a in delivery.attempts] == [200]
    [received] = receiver.received("/ok")
    assert received.headers[SIGNATURE_HEADER] == sign(received.body, SECRET)
    assert received.headers[DELIVERY_HEADER] == "run-1:success"
    assert received.json() == payload


def test_deliver_retries_5xx_with_exponential_backoff_and_jitter(receiver: Receiver) -> None:
    sleeps = _Sleeps()
    target = WebhookTarget(url=f"{receiver.url}/flaky/2", backoff_seconds=1.0)
    delivery = deliver(
        target, build_payload(_outcome(), None, []), sleep=sleeps, rng=random.Random(7)
    )
    assert delivery.delivered and not delivery.signed
    assert [a.status_code for a in delivery.attempts] == [500, 500, 200]
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.5 and 1.0 <= sleeps[1] <= 3.0
    assert sleeps[0] != 1.0 and sleeps[1] != 2.0  # jittered


def test_deliver_gives_up_after_max_attempts_and_does_not_retry_4xx(
    receiver: Receiver,
) -> None:
    payload = build_payload(_outcome(), None, [])
    exhausted = deliver(
        WebhookTarget(url=f"{receiver.url}/flaky/9", max_attempts=3), payload, sleep=_Sleeps()
    )
    assert not exhausted.delivered
    assert [a.status_code for a in exhausted.attempts] == [500, 500, 500]
    gone = deliver(WebhookTarget(url=f"{receiver.url}/gone"), payload, sleep=_Sleeps())
    assert not gone.delivered
    assert [a.status_code for a in gone.attempts] == [410]


def test_deliver_retries_connection_errors() -> None:
    # A port nobody listens on: connection refused, retried, reported without the URL.
    target = WebhookTarget(url=f"http://127.0.0.1:{free_loopback_port()}/x?token=t", max_attempts=2)
    delivery = deliver(target, build_payload(_outcome(), None, []), sleep=_Sleeps())
    assert not delivery.delivered
    assert [(a.status_code, a.error) for a in delivery.attempts] == [
        (None, "ConnectionError"),
        (None, "ConnectionError"),
    ]
    assert "token" not in delivery.url


def _entropy_file(folder: Path) -> None:
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "entropy_context.duckdb"))
    con.execute(
        "CREATE TABLE readiness (contract VARCHAR, target_type VARCHAR, table_name VARCHAR, "
        "column_name VARCHAR, readiness VARCHAR, violations VARCHAR[])"
    )
    con.execute(
        "INSERT INTO readiness VALUES ('reporting', 'source', NULL, NULL, 'investigate', []), "
        "('reporting', 'column', 't', 'a', 'ready', []), "
        "('reporting', 'column', 't', 'b', 'blocked', ['nulls'])"
    )
    con.execute(
        "CREATE TABLE top_issues (rank INTEGER, table_name VARCHAR, column_name VARCHAR, "
        "dimension VARCHAR, score DOUBLE, issue VARCHAR, evidence VARCHAR)"
    )
    con.executemany(
        "INSERT INTO top_issues VALUES (?, 't', ?, 'nulls', ?, ?, 'e')",
        [(rank, f"c{rank}", 1.0 - rank / 10, f"issue {rank}") for rank in range(1, 8)],
    )
    con.close()


def test_entropy_summary_reads_readiness_and_top_five_issues(tmp_path: Path) -> None:
    assert entropy_summary(tmp_path / "missing") == (None, [])
    _entropy_file(tmp_path / "shop")
    readiness, issues = entropy_summary(tmp_path / "shop")
    assert readiness == {
        "counts": {"blocked": 1, "investigate": 1, "ready": 1},
        "source": {"reporting": "investigate"},
    }
    assert [issue["rank"] for issue in issues] == [1, 2, 3, 4, 5]
    assert issues[0] == {
        "rank": 1,
        "table_name": "t",
        "column_name": "c1",
        "dimension": "nulls",
        "score": 0.9,
        "issue": "issue 1",
    }


def test_notify_sends_to_subscribed_targets_and_logs_without_secrets(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    _entropy_file(data_dir / "warehouse" / "shop")
    data_dir.joinpath("webhooks.yaml").write_text(
        f"webhooks:\n  - url: {receiver.url}/ok?token=abc\n    secret_env: HOOK_KEY\n"
        f"  - url: {receiver.url}/flaky/0\n    events: [success]\n"
    )
    monkeypatch.delenv("DATARAUM_WEBHOOKS_FILE", raising=False)
    environ = {"HOOK_KEY": SECRET}
    failure = notify(data_dir, _outcome("FAILURE"), environ=environ, sleep=_Sleeps())
    assert [d.url for d in failure] == [f"{receiver.url}/ok"]
    [received] = receiver.received("/ok")
    payload = received.json()
    assert (payload["event"], payload["error"], payload["failed_steps"]) == (
        "run.failure",
        "raw_tables: boom",
        ["raw_tables"],
    )
    assert payload["readiness"]["source"] == {"reporting": "investigate"}
    assert len(payload["top_issues"]) == 5

    success = notify(data_dir, _outcome("SUCCESS"), environ=environ, sleep=_Sleeps())
    assert len(success) == 2 and all(d.delivered for d in success)

    log = (data_dir / "webhooks" / "deliveries.jsonl").read_text()
    entries = [json.loads(line) for line in log.splitlines()]
    assert [(e["event"], e["delivered"]) for e in entries] == [
        ("failure", True),
        ("success", True),
        ("success", True),
    ]
    assert SECRET not in log and "token=abc" not in log


def test_notify_without_configuration_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATARAUM_WEBHOOKS_FILE", raising=False)
    assert notify(tmp_path, _outcome()) == []
    assert not (tmp_path / "webhooks").exists()
