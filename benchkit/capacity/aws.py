"""boto3 clients and AWS error translation for the capacity package (the only place benchkit talks to AWS).

`AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) are honoured by botocore itself, which is how the
tests point everything at a moto server.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from benchkit.errors import ApiError, BenchkitError, ConfigError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30)
_NOT_FOUND = {"ResourceNotFoundException", "ParameterNotFound", "NotFoundException"}
_BAD_INPUT = {"InvalidParameterException", "InvalidRequestException", "ValidationException"}


def client(service: str, region: str | None) -> Any:
    """A boto3 client with standard retries, cached per service/region/endpoint (clients are thread-safe and
    slow to build). ConfigError when no region can be determined."""
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"))


@functools.lru_cache(maxsize=32)
def _client(service: str, region: str | None, endpoint: str | None) -> Any:
    try:
        return boto3.session.Session().client(service, region_name=region, config=_CONFIG)
    except NoRegionError:
        raise ConfigError(f"{service}: no AWS region: pass --region or set AWS_REGION") from None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, doing: str) -> BenchkitError:
    """A benchkit error with context: bad names and missing credentials are bad input (exit 2), the rest exit 1."""
    if isinstance(exc, NoCredentialsError):
        return ConfigError(f"{doing}: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID)")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = " ".join(str(exc.response.get("Error", {}).get("Message", exc)).split())
        if code in _NOT_FOUND or code in _BAD_INPUT:
            return ConfigError(f"{doing}: {message or code}")
        return ApiError(f"{doing}: {code}: {message}")
    if isinstance(exc, BotoCoreError):
        return ApiError(f"{doing}: {' '.join(str(exc).split())}")
    return ApiError(f"{doing}: {type(exc).__name__}: {exc}")
