"""Doctor rows for the command-line tools a real stack needs: pulumi (stack outputs), aws (the kubeconfig
pulumi-eks writes runs `aws eks get-token`), kubectl (port-forwards, inspection)."""

from __future__ import annotations

import shutil
import subprocess

from benchkit.checks import Row, fail, ok, warn

# tool -> (version command, install hint)
TOOLS: dict[str, tuple[tuple[str, ...], str]] = {
    "pulumi": (("version",), "install the Pulumi CLI: https://www.pulumi.com/docs/install/"),
    "aws": (("--version",), "install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"),
    "kubectl": (("version", "--client"), "install kubectl: https://kubernetes.io/docs/tasks/tools/"),
}  # fmt: skip
VERSION_TIMEOUT_S = 20.0


def tool_rows(names: tuple[str, ...]) -> list[Row]:
    return [tool_row(name) for name in names]


def tool_row(name: str) -> Row:
    args, hint = TOOLS[name]
    check = f"tool {name}"
    path = shutil.which(name)
    if path is None:
        return fail(check, "not on PATH", hint)
    try:
        done = subprocess.run([path, *args], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return warn(check, f"{path}: version unknown ({type(exc).__name__})")
    if done.returncode != 0:
        return warn(check, f"{path}: `{name} {' '.join(args)}` exited {done.returncode}")
    first = (done.stdout or done.stderr).strip().splitlines()
    version = first[0].strip() if first else "version unknown"
    if name == "aws" and version.startswith("aws-cli/1."):
        return fail(check, f"{path}: {version}", "AWS CLI v1 cannot run `aws eks get-token` as pulumi-eks expects: "
                    "install AWS CLI v2")  # fmt: skip
    return ok(check, f"{path}: {version}")
