#!/usr/bin/env python3
"""Regenerate compiler/data/create-only.json: for each resource type convoxc emits, the properties whose
change replaces the resource (createOnlyProperties) and those that may (conditionalCreateOnlyProperties).

The source is the CloudFormation resource provider schemas (us-east-1) that cfn-lint ships; use the
pinned cfn-lint (pip install cfn-lint==1.51.0). The types are every "Type": "AWS::..." found in
templates/, the rack's types listed below, and the types of the convox-made templates in
../shared/takeover (the stacks a takeover diffs against), when that folder is there. Run from the
repository root:

    python3 scripts/createonly.py > compiler/data/create-only.json
"""
import glob
import importlib
import json
import os
import re
import sys

import cfnlint
from cfnlint.version import __version__ as CFNLINT_VERSION

# types of the rack stack (issue 4) that do not appear in templates/ yet
RACK_TYPES = """
AWS::AutoScaling::AutoScalingGroup AWS::AutoScaling::LifecycleHook AWS::CloudWatch::Alarm AWS::DynamoDB::Table
AWS::EC2::EIP AWS::EC2::InternetGateway AWS::EC2::LaunchTemplate AWS::EC2::NatGateway AWS::EC2::Route
AWS::EC2::RouteTable AWS::EC2::Subnet AWS::EC2::SubnetRouteTableAssociation AWS::EC2::VPC
AWS::EC2::VPCGatewayAttachment AWS::EC2::VPCEndpoint AWS::ECS::Cluster AWS::ElasticLoadBalancingV2::LoadBalancer
AWS::IAM::InstanceProfile AWS::IAM::ManagedPolicy AWS::IAM::Policy AWS::KMS::Alias AWS::Lambda::Function
AWS::Lambda::Permission AWS::Route53::HostedZone AWS::S3::Bucket AWS::S3::BucketPolicy AWS::SNS::Topic
AWS::SNS::Subscription AWS::SQS::Queue AWS::SQS::QueuePolicy AWS::Events::Rule AWS::ECR::Repository
AWS::SecretsManager::Secret
""".split()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    types = set(RACK_TYPES)
    takeover = os.path.join(os.path.dirname(root), "shared", "takeover", "cases")
    paths = glob.glob(os.path.join(root, "templates", "**", "*.json"), recursive=True)
    paths += glob.glob(os.path.join(takeover, "**", "*.json"), recursive=True)
    for path in paths:
        with open(path) as f:
            types.update(re.findall(r'"Type":\s*"(AWS::[A-Za-z0-9:]+)"', f.read()))
    base = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
    providers = importlib.import_module("cfnlint.data.schemas.providers.us_east_1").types
    out = {}
    for t in sorted(types):
        if t not in providers:
            print(f"warning: no schema for {t}", file=sys.stderr)
            continue
        with open(os.path.join(base, "resources", providers[t] + ".json")) as f:
            schema = json.load(f)

        def paths(key):
            return sorted(p.removeprefix("/properties/") for p in schema.get(key, []))

        out[t] = {"createOnly": paths("createOnlyProperties"), "conditional": paths("conditionalCreateOnlyProperties")}
    json.dump({"source": f"cfn-lint {CFNLINT_VERSION} provider schemas, us-east-1", "types": out},
              sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
