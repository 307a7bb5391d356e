"""The stricter-than-moto expression check the contract harness applies to DynamoDB requests."""

from __future__ import annotations

import pytest

from .dynamo_rules import redundant_parentheses


@pytest.mark.parametrize("expression", [
    "#v = :expected",
    "attribute_not_exists(#pk) OR #ttl <= :now",
    "#v = :expected AND (attribute_not_exists(#ttl) OR #ttl > :now)",
    "attribute_exists(#pk) AND attribute_not_exists(#v) AND (attribute_not_exists(#ttl) OR #ttl > :now)",
    "#p = :p AND begins_with(#s, :s)",
])
def test_needed_parentheses_pass(expression: str) -> None:
    assert redundant_parentheses(expression) == []


@pytest.mark.parametrize("expression", [
    "(attribute_not_exists(#ttl) OR #ttl > :now)",
    "#a = :b OR (#c = :d AND #e = :f)",
    "((#a = :v))",
    "(#a = :v) AND #b = :w",
])
def test_redundant_parentheses_are_caught(expression: str) -> None:
    assert redundant_parentheses(expression) != []
