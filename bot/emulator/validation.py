"""What Slack refuses in messages and views: Block Kit through slack_sdk's models, plus the limits Slack
documents that the models do not check (block counts, message length, unknown block types).

Problems are strings in Slack's own format (``[ERROR] <what> [json-pointer:/blocks/0/text]``), which is
what ``response_metadata.messages`` of an ``invalid_blocks`` / ``invalid_arguments`` error carries.
"""

from __future__ import annotations

from typing import Any

#: Slack's documented limits.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000
MAX_MARKDOWN_TEXT = 12_000
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3_000
MAX_CALLBACK_ID = 255
MAX_EXTERNAL_ID = 255


def _problem(text: str, pointer: str) -> str:
    return f"[ERROR] {text} [json-pointer:{pointer}]"


def block_problems(blocks: Any, pointer: str = "/blocks", limit: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Why Slack would refuse ``blocks`` (empty: it would accept them)."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(blocks, list):
        return [_problem("must be an array", pointer)]
    problems = []
    if len(blocks) > limit:
        problems.append(_problem(f"no more than {limit} items allowed", pointer))
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict):
            problems.append(_problem("must be an object", where))
            continue
        try:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(_problem(f"unsupported type: {block.get('type')!s}", f"{where}/type"))
                continue
            # to_dict() validates the block and every element and text object in it.
            parsed.to_dict()
        except SlackObjectFormationError as exc:
            problems.append(_problem(str(exc), where))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(_problem(f"invalid block: {exc}", where))
    return problems


def message_problems(args: dict[str, Any]) -> tuple[str, list[str]] | None:
    """``(error, messages)`` for a message Slack would refuse (``chat.postMessage``, ``chat.update``,
    ``chat.postEphemeral``, a response URL), else None."""
    text = args.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        return "msg_too_long", []
    markdown = args.get("markdown_text")
    if isinstance(markdown, str) and len(markdown) > MAX_MARKDOWN_TEXT:
        return "msg_too_long", []
    if "blocks" in args and args["blocks"] not in (None, ""):
        if isinstance(args["blocks"], str):
            return "invalid_blocks_format", []
        problems = block_problems(args["blocks"])
        if problems:
            return "invalid_blocks", problems
    return None


def _text_of(value: Any) -> str | None:
    if isinstance(value, dict):
        text = value.get("text")
        return text if isinstance(text, str) else None
    return None


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse ``view`` in ``views.open`` / ``push`` / ``update`` / ``publish``."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    if not isinstance(view, dict):
        return [_problem("must be an object", "/view")]
    kind = view.get("type")
    if kind not in {"modal", "home"}:
        return [_problem("must be one of modal, home", "/view/type")]
    problems: list[str] = []
    if kind == "modal":
        title = _text_of(view.get("title"))
        if not title:
            problems.append(_problem("a modal needs a title", "/view/title"))
        elif len(title) > MAX_VIEW_TITLE:
            problems.append(_problem(f"must be less than {MAX_VIEW_TITLE + 1} characters", "/view/title/text"))
        for name in ("submit", "close"):
            text = _text_of(view.get(name))
            if text is not None and len(text) > MAX_VIEW_BUTTON:
                problems.append(_problem(f"must be less than {MAX_VIEW_BUTTON + 1} characters", f"/view/{name}/text"))
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
        problems.append(_problem(f"must be less than {MAX_PRIVATE_METADATA + 1} characters", "/view/private_metadata"))
    for name, limit in (("callback_id", MAX_CALLBACK_ID), ("external_id", MAX_EXTERNAL_ID)):
        value = view.get(name)
        if isinstance(value, str) and len(value) > limit:
            problems.append(_problem(f"must be less than {limit + 1} characters", f"/view/{name}"))
    blocks = view.get("blocks")
    if blocks is None:
        problems.append(_problem("missing required field: blocks", "/view/blocks"))
    else:
        problems.extend(block_problems(blocks, "/view/blocks", MAX_VIEW_BLOCKS))
    if not problems and blocks:
        # The models check the rest of the view (input blocks only in modals, and the like).
        fields = {k: v for k, v in view.items() if k in _VIEW_FIELDS}
        try:
            View(**fields).to_dict()
        except SlackObjectFormationError as exc:
            problems.append(_problem(str(exc), "/view"))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(_problem(f"invalid view: {exc}", "/view"))
    return problems


_VIEW_FIELDS = {
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
}
