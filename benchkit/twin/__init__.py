"""The twin: a local stand-in for a Spark-on-Kubernetes cluster that speaks the Kubernetes API over HTTPS."""
