"""Every pipeline asset is partitioned by source: one dynamic partition per registered source."""

import dagster as dg

SOURCES_PARTITION_NAME = "sources"

sources_partitions = dg.DynamicPartitionsDefinition(name=SOURCES_PARTITION_NAME)
