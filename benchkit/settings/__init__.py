"""Run settings: the scenario file and flag schema, defaults, validation."""
