"""The BlobStore contract (bot/storage/base.py), on local files and on S3 (moto)."""

from __future__ import annotations

import pytest

from bot.storage.base import NotFoundError

from .conftest import Harness


def test_put_get_exists_delete(harness: Harness) -> None:
    blobs = harness.store.blobs("materials")
    assert blobs.name == "materials"
    assert not blobs.exists("U1/m1/brief.md")
    blobs.put("U1/m1/brief.md", b"# Brief\n", content_type="text/markdown", metadata={"meeting": "m1"})
    assert blobs.exists("U1/m1/brief.md")
    assert blobs.get("U1/m1/brief.md") == b"# Brief\n"
    blobs.put("U1/m1/brief.md", b"# Brief v2\n")  # replaces
    assert blobs.get("U1/m1/brief.md") == b"# Brief v2\n"
    blobs.delete("U1/m1/brief.md")
    assert not blobs.exists("U1/m1/brief.md")
    with pytest.raises(NotFoundError, match=r"brief\.md"):
        blobs.get("U1/m1/brief.md")
    blobs.delete("U1/m1/brief.md")  # absent: nothing happens


def test_binary_and_empty_blobs_round_trip(harness: Harness) -> None:
    blobs = harness.store.blobs("artifacts")
    data = bytes(range(256)) * 64
    blobs.put("p1/diagram.png", data, content_type="image/png")
    blobs.put("p1/empty", b"")
    assert blobs.get("p1/diagram.png") == data
    assert blobs.get("p1/empty") == b""


def test_list_by_prefix_sorted(harness: Harness) -> None:
    blobs = harness.store.blobs("sessions")
    keys = ["U2/s1.json", "U1/t2/agent.json", "U1/t1/agent.json", "U1/t1/messages/0001.json", "U10/x.json", "top"]
    for key in keys:
        blobs.put(key, key.encode())
    assert blobs.list() == sorted(keys)
    assert blobs.list("U1/") == ["U1/t1/agent.json", "U1/t1/messages/0001.json", "U1/t2/agent.json"]
    assert blobs.list("U1") == ["U1/t1/agent.json", "U1/t1/messages/0001.json", "U1/t2/agent.json", "U10/x.json"]
    assert blobs.list("U1/t1/me") == ["U1/t1/messages/0001.json"]
    assert blobs.list("nothing/") == []
    assert blobs.list("../") == [] and blobs.list("/etc/") == [] and blobs.list("a b/") == []
    blobs.delete("U1/t1/messages/0001.json")
    assert blobs.list("U1/t1/") == ["U1/t1/agent.json"]
    # Buckets are separate.
    assert harness.store.blobs("materials").list() == []


def test_url_links_to_the_blob(harness: Harness) -> None:
    blobs = harness.store.blobs("materials")
    blobs.put("U1/m1/brief.md", b"hello")
    url = blobs.url("U1/m1/brief.md", expires_in=600)
    if harness.kind == "sqlite":
        assert url.startswith("file://") and url.endswith("/blobs/materials/U1/m1/brief.md")
    else:
        assert url.startswith("https://") and "U1/m1/brief.md" in url
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=600" in url


@pytest.mark.parametrize(
    "key", ["../escape", "a/../../b", "/etc/passwd", "a//b", "a\\b", "", ".", "a/./b", ".hidden", "a/", "with space"]
)
def test_unsafe_keys_are_refused(harness: Harness, key: str) -> None:
    blobs = harness.store.blobs("artifacts")
    for call in (
        lambda: blobs.put(key, b"x"),
        lambda: blobs.get(key),
        lambda: blobs.exists(key),
        lambda: blobs.delete(key),
        lambda: blobs.url(key),
    ):
        with pytest.raises(ValueError, match="invalid blob key"):
            call()


def test_unknown_bucket_and_non_bytes_are_refused(harness: Harness) -> None:
    with pytest.raises(ValueError, match="unknown blob bucket"):
        harness.store.blobs("secrets")
    with pytest.raises(ValueError, match="bytes"):
        harness.store.blobs("artifacts").put("a", "text, not bytes")  # type: ignore[arg-type]
