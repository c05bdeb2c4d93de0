"""Submission with Locust: the open-model schedule, the SparkApplication user, shapes. The only importer of locust."""
