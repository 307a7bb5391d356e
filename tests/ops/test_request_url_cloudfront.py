"""With a CloudFront distribution in front of the Slack API (Terraform's ``waf_rate_limit``), `doctor`,
`deploy verify` and the OAuth check use the distribution's URL: the API refuses requests that did not
come through it."""

from __future__ import annotations

from typing import Any

import boto3

from bot.deploy.doctor import Doctor
from bot.runtime import Crewbot
from tests.ops.conftest import REGION, http_api

API = "https://abc123.execute-api.us-east-1.amazonaws.com"


def _doctor(crewbot: Crewbot) -> Doctor:
    def make(service: str) -> Any:
        return http_api(crewbot, API) if service == "apigatewayv2" else boto3.client(service, region_name=REGION)

    return Doctor(crewbot, client=make)


def _distribution(origin_host: str, aliases: list[str] | None = None) -> str:
    config: dict[str, Any] = {
        "CallerReference": origin_host + "".join(aliases or []),
        "Comment": "test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "slack-api",
                    "DomainName": origin_host,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "slack-api",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        },
    }
    if aliases:
        config["Aliases"] = {"Quantity": len(aliases), "Items": aliases}
    created = boto3.client("cloudfront", region_name=REGION).create_distribution(DistributionConfig=config)
    return str(created["Distribution"]["DomainName"])


def test_without_a_distribution_the_url_is_the_api(aws_crewbot: Crewbot) -> None:
    _distribution("elsewhere.example.com")  # another distribution, not in front of this API
    assert _doctor(aws_crewbot).request_url() == f"{API}/slack/events"


def test_the_distribution_in_front_of_the_api_gives_the_url(aws_crewbot: Crewbot) -> None:
    _distribution("elsewhere.example.com")
    domain = _distribution(API.removeprefix("https://"))
    assert domain.endswith(".cloudfront.net")
    assert _doctor(aws_crewbot).request_url() == f"https://{domain}/slack/events"


def test_a_custom_domain_wins_over_the_cloudfront_name(aws_crewbot: Crewbot) -> None:
    _distribution(API.removeprefix("https://"), aliases=["crewbot.example.com"])
    assert _doctor(aws_crewbot).request_url() == "https://crewbot.example.com/slack/events"
