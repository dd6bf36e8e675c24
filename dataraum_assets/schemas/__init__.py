"""Published JSON Schemas of the documents the pipeline writes."""
