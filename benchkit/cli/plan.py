"""`benchkit plan`: what a run would do and cost, simulated on a virtual clock before anyone pays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from benchkit.cli.options import run_settings_options, settings_from_cli
from benchkit.kube.stack import read_stack_outputs
from benchkit.orchestrate import planning
from benchkit.plan import render
from benchkit.plan.predict import MODELS


@click.command()
@run_settings_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--model", type=click.Choice(MODELS), default="paper", show_default=True,
              help="Operator model: paper (calibrated on the published benchmark) or fast (for tests).")  # fmt: skip
@click.option("--region", help="AWS region for prices (default: the stack's, $AWS_REGION, or us-east-1).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML/JSON price overrides (instances, eks_control_plane, nat_gateway, as_of, source).")  # fmt: skip
@click.option("--price", "price_flags", multiple=True, help="TYPE=USD_PER_HOUR (also eks=..., nat=...); repeatable.")
@click.option("--pricing-api", is_flag=True, help="Ask the AWS Pricing API for instance prices (needs credentials).")
@click.option("--instance-type", "instance_types", multiple=True,
              help="ROLE=TYPE for core, operator, monitoring or bench (default: infra's, or the stack's).")  # fmt: skip
def plan(
    scenario_file: Path | None,
    *,
    as_json: bool,
    model: str,
    region: str | None,
    prices_file: Path | None,
    price_flags: tuple[str, ...],
    pricing_api: bool,
    instance_types: tuple[str, ...],
    **params: Any,
) -> None:
    """Predict a run (same flags or scenario file as `benchkit run`): timings, node need and cost."""
    settings = settings_from_cli(scenario_file, params)
    options = planning.PriceOptions(region=region, prices_file=prices_file, price_flags=price_flags,
                                    pricing_api=pricing_api,
                                    instance_types=planning.parse_instance_types(instance_types))  # fmt: skip
    outputs = read_stack_outputs(settings.stack) if settings.stack else None
    result = planning.plan_run(settings, options, outputs, model=model)
    if as_json:
        body = result.to_dict()
        if settings.budget is not None:
            body["budget_usd"] = settings.budget
            body["within_budget"] = result.cost.total_usd <= settings.budget
        click.echo(json.dumps(body, indent=2))
        return
    Console().print(render.render(result, settings.budget))
