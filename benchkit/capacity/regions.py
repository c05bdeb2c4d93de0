"""AWS region names: what one looks like (`us-west-2`, `us-gov-west-1`), so a typo is bad input, not a fallback."""

from __future__ import annotations

import re

from benchkit.errors import ConfigError

REGION = re.compile(
    r"[a-z]{2}(-(gov|iso[a-z]?))?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?"
)
"""Every public, GovCloud, China and ISO region follows `<area>[-<partition>]-<direction>-<n>`."""


def check(region: str, what: str = "region") -> str:
    """The region, or ConfigError (exit 2) when it cannot be an AWS region name.

    >>> check("eu-west-1")
    'eu-west-1'
    """
    if not REGION.fullmatch(region):
        raise ConfigError(f"{what}: {region!r} is not an AWS region name (e.g. us-west-2, eu-central-1)")
    return region
