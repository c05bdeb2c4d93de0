"""The SparkApplication: states, the CRD schema, templates."""
