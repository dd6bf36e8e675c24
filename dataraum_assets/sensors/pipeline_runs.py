"""What every launcher of the per-source pipeline shares: the target and the in-flight states."""

import dagster as dg

# Every asset fed by raw_tables: the whole per-source pipeline, with its checks.
PIPELINE_SELECTION = dg.AssetSelection.assets("raw_tables").downstream()

# Runs that will still read (or are reading) a source's registered folder, so a new snapshot
# must wait for them. NOT_STARTED is left out: a run whose launch failed stays there forever
# and would block its source.
IN_FLIGHT_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
