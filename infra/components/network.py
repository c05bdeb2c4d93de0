"""The VPC: primary CIDR for system nodes and the control plane, a secondary CIDR for bench nodes and pods."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from infra.addressing import SubnetPlan
from infra.naming import type_token
from infra.zones import eks_zones


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    vpc_cidr: IPv4Network
    secondary_cidr: IPv4Network
    plan: SubnetPlan
    availability_zones: tuple[str, ...]
    """Empty: the region's available zones that EKS supports (infra/zones.py), in the region's order."""
    tags: dict[str, str]


class Network(pulumi.ComponentResource):
    """VPC + secondary CIDR, public subnets with one NAT gateway, private subnets, bench subnets."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    bench_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("Network"), name, None, opts)
        self._name, self._args = name, args
        zones = list(args.availability_zones) or self._region_zones()
        if len(zones) < len(args.plan.private):
            raise pulumi.RunError(
                f"{len(args.plan.private)} availability zones wanted, the region has {len(zones)} that EKS "
                "supports (benchkit:availabilityZones picks zones by name)"
            )
        self._zones = zones
        child = pulumi.ResourceOptions(parent=self)
        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=str(args.vpc_cidr), enable_dns_hostnames=True,
                          enable_dns_support=True, tags=self._tags("vpc"), opts=child)  # fmt: skip
        # Bench subnets can only be created once the secondary block is attached to the VPC.
        secondary = aws.ec2.VpcIpv4CidrBlockAssociation(
            f"{name}-secondary-cidr", vpc_id=vpc.id, cidr_block=str(args.secondary_cidr), opts=child
        )
        public_rt = self._create_public(vpc)
        private_rt = self._create_nat_and_private_route_table(vpc)
        self._associate(public_rt, self._public, "public")
        self.private_subnet_ids = self._create_subnets(vpc, "private", args.plan.private, private_rt, internal=True)
        self.bench_subnet_ids = self._create_subnets(
            vpc, "bench", args.plan.bench, private_rt, internal=False, depends_on=[secondary]
        )
        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in self._public]
        self.register_outputs({"vpcId": self.vpc_id})

    @staticmethod
    def _region_zones() -> list[str]:
        found = aws.get_availability_zones(state="available")
        return eks_zones(found.names, found.zone_ids)

    def _tags(self, part: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, "Name": f"{self._args.cluster_name}-{part}", **(extra or {})}

    def _cluster_tag(self) -> dict[str, str]:
        return {f"kubernetes.io/cluster/{self._args.cluster_name}": "shared"}

    def _create_public(self, vpc: aws.ec2.Vpc) -> aws.ec2.RouteTable:
        child = pulumi.ResourceOptions(parent=self)
        igw = aws.ec2.InternetGateway(f"{self._name}-igw", vpc_id=vpc.id, tags=self._tags("igw"), opts=child)
        self._public = [
            aws.ec2.Subnet(
                f"{self._name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=self._zones[i],
                map_public_ip_on_launch=False,
                tags=self._tags(f"public-{i}", {"kubernetes.io/role/elb": "1", **self._cluster_tag()}),
                opts=child,
            )
            for i, cidr in enumerate(self._args.plan.public)
        ]
        return aws.ec2.RouteTable(
            f"{self._name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=self._tags("public-rt"),
            opts=child,
        )

    def _create_nat_and_private_route_table(self, vpc: aws.ec2.Vpc) -> aws.ec2.RouteTable:
        # One NAT gateway: the benchmark pulls one image per node and talks to AWS APIs, nothing more;
        # a NAT per AZ would triple the fixed hourly cost for availability a benchmark does not need.
        child = pulumi.ResourceOptions(parent=self)
        eip = aws.ec2.Eip(f"{self._name}-nat-eip", domain="vpc", tags=self._tags("nat-eip"), opts=child)
        nat = aws.ec2.NatGateway(f"{self._name}-nat", allocation_id=eip.id, subnet_id=self._public[0].id,
                                 tags=self._tags("nat"), opts=child)  # fmt: skip
        return aws.ec2.RouteTable(
            f"{self._name}-private-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
            tags=self._tags("private-rt"),
            opts=child,
        )

    def _create_subnets(
        self,
        vpc: aws.ec2.Vpc,
        kind: str,
        cidrs: tuple[IPv4Network, ...],
        route_table: aws.ec2.RouteTable,
        *,
        internal: bool,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> list[pulumi.Output[str]]:
        opts = pulumi.ResourceOptions(parent=self, depends_on=depends_on or [])
        role_tag = {"kubernetes.io/role/internal-elb": "1"} if internal else {}
        subnets = [
            aws.ec2.Subnet(
                f"{self._name}-{kind}-{i}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=self._zones[i],
                tags=self._tags(f"{kind}-{i}", {**role_tag, **self._cluster_tag()}),
                opts=opts,
            )
            for i, cidr in enumerate(cidrs)
        ]
        self._associate(route_table, subnets, kind)
        return [s.id for s in subnets]

    def _associate(self, route_table: aws.ec2.RouteTable, subnets: list[aws.ec2.Subnet], kind: str) -> None:
        for i, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{kind}-{i}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
