"""The run pipeline and suites: compose settings, target, load, tracker, collection, report, teardown."""
