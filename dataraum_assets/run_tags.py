"""Run tags shared by every launcher of pipeline runs (sensors, CLI, GraphQL clients).

``dagster.yaml`` limits the queued run coordinator to one in-flight run per value of
``SOURCE_TAG``, so every launcher must set it.
"""

SOURCE_TAG = "dataraum/source"
TRIGGER_TAG = "dataraum/trigger"
FINGERPRINT_TAG = "dataraum/fingerprint"
