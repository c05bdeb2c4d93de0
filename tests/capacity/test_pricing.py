"""Price table: built-in figures, region fallback, override files and flags, the Pricing API parser."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from benchkit.capacity import pricing, pricing_api
from benchkit.errors import ConfigError


def test_builtin_table_is_dated_and_matches_the_issue_figure() -> None:
    table = pricing.default_table("us-west-2")
    assert table.as_of == pricing.PRICES_AS_OF and "not fetched" in table.source
    # issue 6: "200 x m6a.4xlarge is about $140 an hour"
    assert 135 < 200 * table.instance("m6a.4xlarge") < 145
    assert table.eks_control_plane == 0.10 and table.nat_gateway == 0.045
    for itype in ("m5.xlarge", "c5.9xlarge", "r6a.2xlarge", "m6a.4xlarge"):
        assert table.instance(itype) > 0
    assert table.notes == ()


def test_unknown_region_falls_back_with_a_note() -> None:
    table = pricing.default_table("eu-west-1")
    assert table.instance("m6a.4xlarge") == pricing.default_table("us-east-1").instance("m6a.4xlarge")
    assert "no built-in prices for eu-west-1" in table.notes[0]


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-northwest-1", "il-central-1",
               "us-isob-east-1", "me-south-1"],
)  # fmt: skip
def test_any_real_region_name_gets_a_table(region: str) -> None:
    assert pricing.default_table(region).instance("m6a.4xlarge") > 0


@pytest.mark.parametrize("region", ["mars-1", "us-east", "US-EAST-1", "us-east-1a", "", "eu-west-0", "us_east_1"])
def test_a_name_that_is_no_region_is_bad_input(region: str) -> None:
    with pytest.raises(ConfigError, match=r"^region: .* is not an AWS region name \(e\.g\. us-west-2"):
        pricing.default_table(region)


def test_unknown_instance_type_is_bad_input() -> None:
    with pytest.raises(ConfigError, match=r"no price for instance type 'x9.huge' in us-east-1; add it with --price"):
        pricing.default_table("us-east-1").instance("x9.huge")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_override_file_then_flags(tmp_path: Path, suffix: str) -> None:
    data = {"as_of": "2026-01-15", "source": "our EDP rates", "instances": {"m6a.4xlarge": 0.5, "x9.huge": 3},
            "nat_gateway": 0.05}  # fmt: skip
    path = tmp_path / f"prices{suffix}"
    path.write_text(json.dumps(data) if suffix == ".json" else "as_of: 2026-01-15\nsource: our EDP rates\n"
                    "instances:\n  m6a.4xlarge: 0.5\n  x9.huge: 3\nnat_gateway: 0.05\n")  # fmt: skip
    table = pricing.resolve("us-west-2", prices_file=path, price_flags=["m6a.4xlarge=0.45", "eks=0.6"])
    assert table.instance("m6a.4xlarge") == 0.45  # the flag wins over the file
    assert table.instance("x9.huge") == 3.0
    assert table.instance("c5.9xlarge") == 1.53  # untouched entries stay
    assert (table.nat_gateway, table.eks_control_plane) == (0.05, 0.6)
    assert (table.as_of, table.source) == ("2026-01-15", "our EDP rates")
    assert "--price overrides: m6a.4xlarge=0.45, eks=0.6" in table.notes


def test_prices_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("instances: {m5.xlarge: 0.1}\n")
    monkeypatch.setenv(pricing.PRICES_ENV, str(path))
    assert pricing.resolve("us-east-1").instance("m5.xlarge") == 0.1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must hold a mapping"),
        ("instance: {}", "unknown key 'instance'"),
        ("instances: [m5.xlarge]", "instances must map instance type"),
        ("instances: {m5.xlarge: -1}", r"instances.m5.xlarge: expected a price >= 0"),
        ("instances: {m5.xlarge: cheap}", "expected USD per hour, got 'cheap'"),
        ("nat_gateway: .nan", "expected a price >= 0"),
        ("instances: {a: [", "neither valid YAML nor JSON"),
    ],
)
def test_bad_price_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        pricing.load_overrides(path)


def test_missing_price_file_and_bad_flags(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prices: cannot read"):
        pricing.resolve("us-east-1", prices_file=tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="--price: expected TYPE=USD_PER_HOUR"):
        pricing.parse_price_flags(["m6a.4xlarge"])
    with pytest.raises(ConfigError, match="expected USD per hour"):
        pricing.parse_price_flags(["m6a.4xlarge=free"])


def _product(usd: str) -> str:
    return json.dumps({"product": {"attributes": {"instanceType": "m6a.4xlarge"}}, "terms": {"OnDemand": {"X.Y": {
        "priceDimensions": {"X.Y.Z": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}}})  # fmt: skip


def test_pricing_api_parsing_with_a_stubbed_client() -> None:
    """moto 5.2 has no Pricing API, so this uses botocore's Stubber: it checks the request we send and
    our parsing of a GetProducts-shaped answer; the live API itself is not exercised here."""
    client = boto3.client("pricing", region_name="us-east-1")
    with Stubber(client) as stub:
        expected = {"ServiceCode": "AmazonEC2", "Filters": pricing_api._filters("us-west-2", "m6a.4xlarge"),
                    "MaxResults": 10}  # fmt: skip
        stub.add_response("get_products", {"PriceList": [_product("0.6912000000")]}, expected)
        stub.add_response("get_products", {"PriceList": []})
        found = pricing_api.on_demand_prices("us-west-2", ["m6a.4xlarge", "x9.huge"], client=client)
    assert found == {"m6a.4xlarge": 0.6912}
    filters = {f["Field"]: f["Value"] for f in expected["Filters"]}  # type: ignore[union-attr]
    assert filters["operatingSystem"] == "Linux" and filters["tenancy"] == "Shared"
    assert filters["regionCode"] == "us-west-2" and filters["capacitystatus"] == "Used"


def test_pricing_api_failure_falls_back_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(region: str, types: list[str]) -> dict[str, float]:
        raise pricing_api.PricingUnavailable("AccessDeniedException")

    monkeypatch.setattr(pricing_api, "on_demand_prices", unavailable)
    table = pricing.resolve("us-east-1", use_pricing_api=True, instance_types=["m6a.4xlarge"])
    assert table.instance("m6a.4xlarge") == 0.6912
    assert table.notes == ("Pricing API not used: AccessDeniedException",)
    monkeypatch.setattr(pricing_api, "on_demand_prices", lambda region, types: {"m6a.4xlarge": 0.7})
    table = pricing.resolve("us-east-1", use_pricing_api=True, instance_types=["m6a.4xlarge"])
    assert table.instance("m6a.4xlarge") == 0.7 and table.source.startswith("AWS Pricing API for m6a.4xlarge")


def test_every_instance_type_infra_allows_has_a_price() -> None:
    """A stack built with any allowed type can be planned and torn down with a cost figure."""
    from infra.instances import INSTANCE_TYPES

    table = pricing.default_table("us-east-1")
    assert sorted(set(INSTANCE_TYPES) - set(table.instances)) == []
