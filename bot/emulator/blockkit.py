"""Block Kit as readable text: what the emulator's transcript shows for messages, modals and home tabs.

Sections, fields, context lines, headers, dividers, images, rich text, inputs and buttons (with their
labels, in square brackets: those are what ``click <label>`` presses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([CDG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")

UserName = Callable[[str], str]


def mrkdwn(text: str, user_name: UserName | None = None) -> str:
    """Slack's mrkdwn with mentions and links made readable (formatting marks are kept)."""

    def user(match: re.Match[str]) -> str:
        return "@" + (match.group(2) or (user_name(match.group(1)) if user_name else match.group(1)))

    text = _USER.sub(user, text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, user_name: UserName | None = None) -> str:
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    value = obj.get("text") or ""
    return mrkdwn(value, user_name) if obj.get("type") == "mrkdwn" else value


def iter_buttons(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every button in ``blocks`` as (block, element), in display order."""
    for block in blocks or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    yield block, element
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            yield block, accessory


def _element(element: dict[str, Any], user_name: UserName | None) -> str:
    kind = element.get("type", "")
    if kind == "button":
        style = element.get("style")
        return f"[{_text(element.get('text'))}]" + ("!" if style == "danger" else "")
    if kind in {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}:
        chosen = element.get("initial_option") or {}
        shown = _text(chosen.get("text")) or _text(element.get("placeholder")) or "choose"
        options = ", ".join(_text(o.get("text")) for o in element.get("options") or [])
        return f"<{shown}{': ' + options if options else ''}>"
    if kind == "overflow":
        return "<⋯ " + ", ".join(_text(o.get("text")) for o in element.get("options") or []) + ">"
    if kind in {"datepicker", "timepicker", "datetimepicker"}:
        return f"<{element.get('initial_date') or element.get('initial_time') or kind}>"
    if kind in {"checkboxes", "radio_buttons"}:
        return " ".join(f"( ) {_text(o.get('text'))}" for o in element.get("options") or [])
    if kind == "plain_text_input":
        return f"[____{element.get('initial_value') or ''}____]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in {"mrkdwn", "plain_text"}:
        return _text(element, user_name)
    return f"<{kind}>"


def _rich_text(elements: list[dict[str, Any]], user_name: UserName | None) -> str:
    parts: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind in {"rich_text_section", "rich_text_preformatted", "rich_text_quote"}:
            parts.append(_rich_text(element.get("elements") or [], user_name))
        elif kind == "rich_text_list":
            items = element.get("elements") or []
            parts.extend("• " + _rich_text(item.get("elements") or [], user_name) for item in items)
        elif kind == "text":
            parts.append(element.get("text", ""))
        elif kind == "user":
            parts.append("@" + (user_name(element["user_id"]) if user_name else element["user_id"]))
        elif kind == "link":
            parts.append(element.get("text") or element.get("url", ""))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
    return "".join(parts) if all(p.count("\n") == 0 for p in parts) else "\n".join(parts)


def render_blocks(blocks: list[dict[str, Any]], user_name: UserName | None = None) -> list[str]:
    """Lines of text for ``blocks``."""
    lines: list[str] = []
    for block in blocks or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text(block.get('text'))} ==")
        elif kind == "section":
            text = _text(block.get("text"), user_name)
            if text:
                lines.extend(text.splitlines())
            for field in block.get("fields") or []:
                lines.append("  · " + _text(field, user_name).replace("\n", " "))
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                lines.append("  " + _element(accessory, user_name))
        elif kind == "context":
            lines.append("  ~ " + " · ".join(_element(e, user_name) for e in block.get("elements") or []))
        elif kind == "divider":
            lines.append("  ────────")
        elif kind == "actions":
            lines.append("  " + "  ".join(_element(e, user_name) for e in block.get("elements") or []))
        elif kind == "image":
            title = _text(block.get("title"))
            lines.append(f"[image: {title or block.get('alt_text', '')}]")
        elif kind == "input":
            label = _text(block.get("label"))
            optional = " (optional)" if block.get("optional") else ""
            lines.append(
                f"{label}{optional}: {_element(block.get('element') or {}, user_name)}  "
                f"(field {block.get('block_id', '?')})"
            )
        elif kind == "rich_text":
            lines.extend(_rich_text(block.get("elements") or [], user_name).splitlines())
        elif kind == "markdown":
            lines.extend((block.get("text") or "").splitlines())
        elif kind == "file":
            lines.append(f"[file {block.get('external_id', '')}]")
        else:
            lines.append(f"<{kind} block>")
    return lines


def render_message(
    text: str, blocks: list[dict[str, Any]] | None = None, user_name: UserName | None = None
) -> list[str]:
    """A message: its blocks when it has any (Slack shows those), else its text."""
    if blocks:
        return render_blocks(blocks, user_name)
    return mrkdwn(text, user_name).splitlines() or [""]


def render_view(view: dict[str, Any], user_name: UserName | None = None) -> list[str]:
    """A modal or home tab."""
    if view.get("type") == "home":
        return ["┌─ Home tab"] + ["│ " + line for line in render_blocks(view.get("blocks") or [], user_name)] + ["└─"]
    title = _text(view.get("title"))
    lines = [f"┌─ Modal: {title}"]
    lines += ["│ " + line for line in render_blocks(view.get("blocks") or [], user_name)]
    buttons = []
    if view.get("submit"):
        buttons.append(f"[{_text(view['submit'])}]")
    buttons.append(f"[{_text(view.get('close')) or 'Cancel'}]")
    lines.append("└─ " + "  ".join(buttons))
    return lines
