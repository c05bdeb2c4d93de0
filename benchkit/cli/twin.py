"""`benchkit twin`: serve the local Spark-on-Kubernetes twin in the foreground until SIGINT/SIGTERM.

The flags are built from `TwinOptions` (benchkit/twin/config.py), where each option is declared once with
its type, default and help; its checks run there too (a bad value: one line, exit 2, nothing written).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from benchkit.twin.config import TwinOptions, flag_name


def _namespaces(_ctx: click.Context, _param: click.Parameter, value: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise click.BadParameter("give at least one namespace")
    return names


def _option(field: dataclasses.Field[Any], hint: Any) -> Callable[[Any], Any]:
    """The click option of one TwinOptions field."""
    meta, flag = field.metadata, flag_name(field.name)
    optional = [a for a in typing.get_args(hint) if a is not type(None)] if type(None) in typing.get_args(hint) else []
    kind = optional[0] if optional else hint
    extra: dict[str, Any] = {"help": meta["help"]}
    if kind is bool:
        return click.option(flag, is_flag=True, **extra)
    if meta.get("required"):
        extra["required"] = True
    elif field.default is not None:
        extra.update(default=field.default, show_default=True)
    if "choices" in meta:
        extra["type"] = click.Choice(meta["choices"])
    elif kind is Path:
        extra["type"] = click.Path(file_okay=not meta.get("directory"), dir_okay=bool(meta.get("directory")),
                                   path_type=Path)  # fmt: skip
    elif typing.get_origin(kind) is tuple:
        extra.update(type=str, callback=_namespaces, default=",".join(typing.cast(tuple[str, ...], field.default)))
    elif "min" in meta or "max" in meta:
        bounded = click.IntRange if kind is int else click.FloatRange
        extra["type"] = bounded(meta.get("min"), meta.get("max"), min_open=bool(meta.get("min_open")))
    else:
        extra["type"] = kind
    return click.option(flag, **extra)


def _with_options(command: Callable[..., None]) -> Callable[..., None]:
    hints = typing.get_type_hints(TwinOptions)
    for field in reversed(dataclasses.fields(TwinOptions)):
        command = _option(field, hints[field.name])(command)
    return command


@click.command()
@_with_options
def twin(**params: Any) -> None:
    """Serve the Kubernetes API of a simulated Spark-on-Kubernetes cluster over HTTPS (see benchkit/twin/README.md)."""
    options = TwinOptions(**params)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from benchkit.twin.server import TwinServer, serve  # noqa: PLC0415 - aiohttp only once the flags are valid

    def ready(server: TwinServer) -> None:
        click.echo(f"benchkit twin: listening on {server.url} (kubeconfig: {options.kubeconfig})")

    asyncio.run(serve(options, ready))
