"""Block Kit rendered as readable text."""

from __future__ import annotations

from bot.emulator.blockkit import iter_buttons, mrkdwn, render_blocks, render_message, render_view


def test_mrkdwn_mentions_links_and_entities() -> None:
    names = {"UALICE": "alice"}.get
    text = mrkdwn("<@UALICE> see <https://x.test/a|the doc> in <#C1|general> &amp; <!here>", lambda u: names(u) or u)
    assert text == "@alice see the doc (https://x.test/a) in #general & @here"


def test_sections_fields_context_buttons_and_more() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Prep: Budget review"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*When* Tue 10:00"},
            "fields": [{"type": "mrkdwn", "text": "*Owner*\nAlice"}, {"type": "plain_text", "text": "60 min"}],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "action_id": "open"},
        },
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "a"},
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Reject"},
                    "style": "danger",
                    "action_id": "r",
                },
                {
                    "type": "static_select",
                    "placeholder": {"type": "plain_text", "text": "Delay"},
                    "options": [{"text": {"type": "plain_text", "text": "1h"}, "value": "1h"}],
                },
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@UBOT>"}]},
        {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "chart"},
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [{"type": "text", "text": "hi "}, {"type": "user", "user_id": "UALICE"}],
                }
            ],
        },
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "v"},
        },
        {"type": "mystery"},
    ]
    lines = render_blocks(blocks, {"UALICE": "alice", "UBOT": "crewbot"}.get)  # type: ignore[arg-type]
    assert lines == [
        "== Prep: Budget review ==",
        "*When* Tue 10:00",
        "  · *Owner* Alice",
        "  · 60 min",
        "  [Open]",
        "  ────────",
        "  [Approve]  [Reject]!  <Delay: 1h>",
        "  ~ by @crewbot",
        "[image: chart]",
        "hi @alice",
        "Title: [________]  (field title)",
        "<mystery block>",
    ]
    assert [e["action_id"] for _, e in iter_buttons(blocks)] == ["open", "a", "r"]


def test_messages_without_blocks_show_their_text_and_views_show_their_frame() -> None:
    assert render_message("line one\nline two") == ["line one", "line two"]
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "New project"},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Fill in"}}],
    }
    assert render_view(modal) == ["┌─ Modal: New project", "│ Fill in", "└─ [Create]  [Cancel]"]
    assert render_view({"type": "home", "blocks": []}) == ["┌─ Home tab", "└─"]
