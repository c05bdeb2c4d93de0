"""The Pulumi program: the EKS benchmark stack (Pulumi.yaml at the repository root points here)."""
