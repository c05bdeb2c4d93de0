"""Packaged SparkApplication templates (data files)."""
