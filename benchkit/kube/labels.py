"""Label keys benchkit stamps on every object it creates, and selector builders.

Deletion is always by `RUN_ID` (or by `MANAGED_BY` for "every benchkit run"), never by namespace.
"""

from __future__ import annotations

PREFIX = "benchkit.io"
RUN_ID = f"{PREFIX}/run-id"
SCENARIO = f"{PREFIX}/scenario"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "benchkit"

# Labels the Spark Operator itself puts on the pods it launches (kubeflow/spark-operator v2.1.0 and v2.5.2
# pkg/common/spark.go: LabelSparkAppName, LabelSparkRole with SparkRoleDriver/SparkRoleExecutor,
# LabelLaunchedBySparkOperator).
SPARK_APP_NAME = "sparkoperator.k8s.io/app-name"
SPARK_ROLE = "spark-role"  # "driver" | "executor"
LAUNCHED_BY_OPERATOR = "sparkoperator.k8s.io/launched-by-spark-operator"

# The bench node group, as infra creates it.
NODE_GROUP_TYPE = "NodeGroupType"
BENCH_NODE_GROUP = "spark-operator-benchmark-ng"
OPERATOR_NODE_GROUP = "spark-operator-benchmark"
MONITORING_NODE_GROUP = "monitoring"


def run_labels(run_id: str, scenario: str) -> dict[str, str]:
    """Labels for the objects of one run."""
    return {RUN_ID: run_id, SCENARIO: scenario, MANAGED_BY: MANAGED_BY_VALUE}


def run_selector(run_id: str) -> str:
    """Label selector for the objects of one run."""
    return f"{RUN_ID}={run_id}"


def any_run_selector() -> str:
    """Label selector for the objects of every benchkit run."""
    return f"{MANAGED_BY}={MANAGED_BY_VALUE},{RUN_ID}"


# The taint on the bench node group (key; effect NoSchedule) that the default template tolerates.
BENCH_TAINT_KEY = BENCH_NODE_GROUP
