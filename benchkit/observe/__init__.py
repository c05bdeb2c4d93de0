"""Prometheus: metric profiles, the query client, collection to CSV, a local Prometheus for tests and the demo."""
