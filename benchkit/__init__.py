"""benchkit: benchmark the Kubeflow Spark Operator on Amazon EKS."""

__version__ = "0.1.0"
