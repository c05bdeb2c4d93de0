"""Watch-based lifecycle tracking of a run's SparkApplications and pods."""
