"""Live on-demand EC2 prices from the AWS Pricing API (`pricing:GetProducts`), used only when asked for."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

PRICING_API_REGION = "us-east-1"
"""The Pricing API is served from a few regions only; us-east-1 answers for every region's prices."""


class PricingUnavailable(Exception):
    """No credentials, no access, or the API failed: the caller falls back to the built-in table."""


def on_demand_prices(region: str, instance_types: Iterable[str], client: Any = None) -> dict[str, float]:
    """USD/hour of Linux, shared-tenancy, on-demand instances in `region`; types without a price are left out."""
    if client is None:
        session = boto3.session.Session()
        if session.get_credentials() is None:
            raise PricingUnavailable("no AWS credentials")
        client = session.client("pricing", region_name=PRICING_API_REGION)
    prices: dict[str, float] = {}
    for instance_type in instance_types:
        try:
            response = client.get_products(ServiceCode="AmazonEC2", Filters=_filters(region, instance_type),
                                           MaxResults=10)  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise PricingUnavailable(" ".join(str(exc).split())) from None
        price = _first_usd(response.get("PriceList", []))
        if price is not None:
            prices[instance_type] = price
    return prices


def _filters(region: str, instance_type: str) -> list[dict[str, str]]:
    wanted = {
        "instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux", "tenancy": "Shared",
        "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required",
    }  # fmt: skip
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def _first_usd(price_list: list[str]) -> float | None:
    """The hourly USD of the first on-demand term in a GetProducts PriceList (JSON strings)."""
    for item in price_list:
        product = json.loads(item) if isinstance(item, str) else item
        for term in (product.get("terms", {}).get("OnDemand") or {}).values():
            for dimension in (term.get("priceDimensions") or {}).values():
                usd = (dimension.get("pricePerUnit") or {}).get("USD")
                if dimension.get("unit") in ("Hrs", "Hours") and usd is not None and float(usd) > 0:
                    return float(usd)
    return None
