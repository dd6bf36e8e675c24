"""retry-failed's errors without a webserver; the real re-execution is in test_deployment.py."""

import pytest

from dataraum_assets.cli import main
from dataraum_assets_tests.deployment import free_loopback_port


def test_retry_failed_names_the_unreachable_webserver(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"
    assert main(["retry-failed", "shop", "--url", url]) == 2
    error = capsys.readouterr().err
    assert f"cannot reach the Dagster webserver at {url}" in error
    assert "Traceback" not in error
