"""The twin's clock-agnostic model of a Spark Operator and a cluster's nodes and scheduler.

The model never reads a clock and never sleeps: callers pass `now` (seconds; epoch seconds when the
twin serves, any origin on a virtual clock). The twin's server drives it in real time; `benchkit plan`
drives the same model on a virtual clock. See `interface.py` for the contract between the two.
"""
