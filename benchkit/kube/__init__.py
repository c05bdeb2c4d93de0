"""Kubernetes access: labels, connection (kubeconfig / context / Pulumi stack)."""
