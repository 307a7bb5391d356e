"""Classification from config/meeting_types.yaml: every shipped type, the rule that matched, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from plugins.meeting_prep.classify import MeetingTypesError, classify, load_meeting_types

TYPES = load_meeting_types()


@pytest.mark.parametrize(
    ("title", "description", "attendees", "expected", "rule"),
    [
        ("Leadership team weekly", "", 11, "leadership_meeting", "keyword 'leadership' in the title"),
        ("LT meeting", "", 10, "leadership_meeting", "at least 10 attendees"),
        ("1:1 Ann / Dev", "", 2, "one_on_one", "keyword '1:1' in the title"),
        ("Coffee", "", 2, "one_on_one", "exactly 2 attendees"),
        ("Q3 QBR", "", 25, "qbr", "keyword 'QBR' in the title"),
        ("Engineering all hands", "", 40, "staff_meeting", "keyword 'all hands'"),
        ("SEV1 post-mortem", "", 6, "incident_review", "in the title"),
        ("Checkout retro", "Blameless incident review of INC-12", 5, "incident_review", "in the description"),
        ("Vendor sync", "", 5, "default", "no rule matched"),
    ],
)
def test_each_meeting_type(title: str, description: str, attendees: int, expected: str, rule: str) -> None:
    result = classify(TYPES, title, description, attendees)
    assert result.meeting_type == expected
    assert rule in result.rule
    assert result.prep_hours_before == TYPES.get(expected).prep_hours_before


def test_attendee_rules_explain_a_rejected_keyword() -> None:
    result = classify(TYPES, "Leadership offsite", "", 4)
    assert result.meeting_type == "default"
    assert "leadership_meeting: keyword 'leadership' in the title but needs at least 10 attendees, has 4" in result.rule


def test_keywords_match_whole_words_only() -> None:
    assert classify(TYPES, "Several updates", "", 5).meeting_type == "default"  # not "SEV"
    assert classify(TYPES, "SEV2 review", "", 5).meeting_type == "incident_review"


def test_user_overrides_change_prep_time() -> None:
    assert classify(TYPES, "1:1", "", 2, overrides={"one_on_one": 6}).prep_hours_before == 6


def test_bad_file_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "types.yaml"
    bad.write_text("meeting_types:\n  qbr:\n    prep_hours_before: -3\n    colour: red\n  default: {}\n")
    with pytest.raises(MeetingTypesError) as caught:
        load_meeting_types(bad)
    message = str(caught.value)
    assert str(bad) in message
    assert "meeting_types.qbr.prep_hours_before" in message and "meeting_types.qbr.colour" in message
    bad.write_text("meeting_types:\n  qbr: {}\n")
    with pytest.raises(MeetingTypesError, match="default"):
        load_meeting_types(bad)


def test_cli_prints_type_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["meetings", "classify", "--title", "Q4 QBR", "--attendees", "22"]) == 0
    out = capsys.readouterr().out
    assert "type: qbr (Quarterly business review)" in out
    assert "rule: keyword 'QBR' in the title and at least 20 attendees (22)" in out
