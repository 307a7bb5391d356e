"""The stricter-than-moto expression check the contract harness applies to DynamoDB requests."""

from __future__ import annotations

import pytest

from .dynamo_rules import redundant_parentheses, unused_placeholders


@pytest.mark.parametrize(
    "expression",
    [
        "#v = :expected",
        "attribute_not_exists(#pk) OR #ttl <= :now",
        "#v = :expected AND (attribute_not_exists(#ttl) OR #ttl > :now)",
        "attribute_exists(#pk) AND attribute_not_exists(#v) AND (attribute_not_exists(#ttl) OR #ttl > :now)",
        "#p = :p AND begins_with(#s, :s)",
    ],
)
def test_needed_parentheses_pass(expression: str) -> None:
    assert redundant_parentheses(expression) == []


@pytest.mark.parametrize(
    "expression",
    [
        "(attribute_not_exists(#ttl) OR #ttl > :now)",
        "#a = :b OR (#c = :d AND #e = :f)",
        "((#a = :v))",
        "(#a = :v) AND #b = :w",
    ],
)
def test_redundant_parentheses_are_caught(expression: str) -> None:
    assert redundant_parentheses(expression) != []


def test_unused_placeholders_are_caught() -> None:
    assert (
        unused_placeholders(
            {
                "ConditionExpression": "#v = :e",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":e": {"N": "1"}},
            }
        )
        == []
    )
    assert unused_placeholders(
        {
            "ConditionExpression": "#v = :e",
            "ExpressionAttributeNames": {"#v": "v", "#x": "x"},
            "ExpressionAttributeValues": {":e": {"N": "1"}, ":zero": {"N": "0"}},
        }
    ) == ["#x", ":zero"]
    batch = {
        "RequestItems": {
            "t": {"Keys": [], "ProjectionExpression": "#a", "ExpressionAttributeNames": {"#a": "a", "#b": "b"}}
        }
    }
    assert unused_placeholders(batch) == ["#b"]
