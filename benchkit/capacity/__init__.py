"""Cost and capacity on AWS: node-group scaling, teardown, the lease and its janitor, the step autoscaler, prices."""
