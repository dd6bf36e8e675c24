"""Launch latency over GraphQL on a PostgreSQL instance: submission and status reads.

Usage (run by hand, not in CI)::

    .venv/bin/python bench/launch_latency.py [--launches 50] [--url http://127.0.0.1:3000]
        [--source acme_books] [--out bench/out/launch-latency.json]

Without ``--url`` it starts the production topology itself (a throwaway PostgreSQL server
and ``scripts/serve``: gRPC code server, webserver, daemon, on free loopback ports) and
registers the example source; with ``--url`` it measures a running deployment, where
``--source`` must be registered.

Measured, each as one HTTP round trip from this process:

- submission: ``launchPipelineExecution`` of ``raw_tables`` for the source, with the tags every
  launcher sets (the queued run coordinator stores the run as QUEUED and returns);
- status: ``runOrError`` with status and step stats (what a poller asks), once per launched run.

The daemon keeps starting the queued runs (one at a time per source) while launches go on, as
it would in production. Prints p50/p95/max in milliseconds and writes them as JSON.
"""

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

TARGETS_MS = {"submission_p95": 100.0, "status_p95": 500.0}


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def summarize(samples_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50": round(percentile(samples_ms, 0.5), 1),
        "p95": round(percentile(samples_ms, 0.95), 1),
        "max": round(max(samples_ms), 1),
        "mean": round(statistics.fmean(samples_ms), 1),
    }


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def measure(deployment, source: str, launches: int) -> dict[str, object]:
    """Launch ``launches`` runs and read each one's status once; latencies in milliseconds."""
    submissions: list[float] = []
    run_ids: list[str] = []
    for index in range(launches):
        tags = {"triggered_by": "launch_latency", "reason": f"launch {index}"}
        elapsed, run_id = _timed(lambda tags=tags: deployment.launch(source, ["raw_tables"], tags))
        submissions.append(elapsed)
        run_ids.append(str(run_id))
    statuses: list[float] = []
    for run_id in run_ids:
        elapsed, _ = _timed(lambda run_id=run_id: deployment.run(run_id))
        statuses.append(elapsed)
    return {
        "launches": launches,
        "submission_ms": summarize(submissions),
        "status_ms": summarize(statuses),
        "targets_ms": TARGETS_MS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--launches", type=int, default=50)
    parser.add_argument("--url", help="a running deployment (default: start one)")
    parser.add_argument("--source", default="acme_books")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    # bench/ is a folder of scripts: the topology helpers live in the test package.
    repo_root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(repo_root))
    from dataraum_assets_tests.deployment import Deployment, run_cli, running_deployment
    from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER
    from dataraum_assets_tests.postgres_server import running_postgres

    with ExitStack() as stack:
        if args.url:
            deployment = Deployment(
                home=Path(),
                data_dir=Path(),
                url=args.url.rstrip("/"),
                grpc_port=0,
                env={},
                log_file=Path(),
                pid=0,
            )
        else:
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="launch-latency-")))
            postgres = stack.enter_context(running_postgres(base / "pg"))
            deployment = stack.enter_context(running_deployment(postgres, base / "serve"))
            registered = run_cli(
                deployment,
                "dataraum-assets",
                "register",
                str(EXAMPLE_FOLDER),
                "--name",
                args.source,
            )
            if registered.returncode != 0:
                raise SystemExit(registered.stderr)
        results = measure(deployment, args.source, args.launches)

    text = json.dumps(results, indent=2)
    print(text)  # noqa: T201 - the script's output
    for name, target in TARGETS_MS.items():
        kind, _ = name.split("_")
        observed = results[f"{kind}_ms"]["p95"]  # type: ignore[index]
        verdict = "meets" if observed <= target else "misses"
        print(f"{kind} p95 {observed} ms {verdict} the {target:.0f} ms target")  # noqa: T201
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
