"""Configuration: merging, provenance, validation errors that name file and key, secrets kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config
from bot.config.loader import default_config_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_shipped_configuration_is_valid_for_every_environment() -> None:
    for env in ("dev", "staging", "prod"):
        loaded = load_config(env=env, environ={})
        assert loaded.config.environment == env
    assert load_config(env="prod", environ={}).config.runtime == "aws"
    assert load_config(environ={}).config.runtime == "local"


def test_overlay_wins_over_base_and_environment_wins_over_both(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "project: acme\nslack: {admins: [UBASE1]}\nlogging: {level: INFO}\n")
    write(tmp_path / "environments" / "staging.yaml", "logging: {level: DEBUG}\nslack: {admins: [UOVER1]}\n")
    loaded = load_config(env="staging", file=base, environ={"CREWBOT_SLACK__ADMINS": "[UENV01, UENV02]"})
    assert loaded.config.project == "acme"
    assert loaded.config.logging.level == "DEBUG"
    assert loaded.config.slack.admins == ["UENV01", "UENV02"]
    assert loaded.source_of(("logging", "level")).endswith("staging.yaml")
    assert loaded.source_of(("slack", "admins")) == "environment variable CREWBOT_SLACK__ADMINS"
    assert loaded.source_of(("project",)) == str(base)


def test_crewbot_home_variable_sets_the_data_directory(tmp_path: Path) -> None:
    loaded = load_config(environ={"CREWBOT_HOME": str(tmp_path / "data")})
    assert loaded.config.home == tmp_path / "data"


def test_a_wrong_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "project: acme\n")
    write(tmp_path / "environments" / "dev.yaml", "features:\n  xray: sometimes\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=base, environ={})
    (problem,) = caught.value.problems
    assert problem.source.endswith("environments/dev.yaml")
    assert problem.key == "features.xray"
    assert "boolean" in problem.message


def test_a_misspelt_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "slack:\n  admin: [U123ABC]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=base, environ={})
    assert [(p.key, p.source) for p in caught.value.problems] == [("slack.admin", str(base))]
    assert "unknown key" in caught.value.problems[0].message


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "project: acme\nslack:\n  admins: [U1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=base, environ={})
    assert caught.value.problems[0].source.startswith(f"{base}:")
    assert "invalid YAML" in caught.value.problems[0].message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(file=base, environ={})


def test_secrets_in_files_are_refused(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "tags:\n  custom: {note: xoxb-123456789012-abcdefghijkl}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=base, environ={})
    assert caught.value.problems[0].key == "tags.custom.note"
    assert "secret" in caught.value.problems[0].message


def test_bad_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"CREWBOT_RUNTIME": "kubernetes"})
    problem = caught.value.problems[0]
    assert (problem.source, problem.key) == ("environment variable CREWBOT_RUNTIME", "runtime")


def test_unknown_time_zone_and_bad_admin_ids(tmp_path: Path) -> None:
    base = write(tmp_path / "crewbot.yaml", "timezone: Mars/Olympus\nslack: {admins: [bob]}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=base, environ={})
    keys = sorted(p.key for p in caught.value.problems)
    assert keys == ["slack.admins", "timezone"]


def test_cli_validate_exits_2_naming_file_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(tmp_path / "crewbot.yaml", "runtime: lokal\n")
    assert main(["config", "validate", "--file", str(base)]) == 2
    err = capsys.readouterr().err
    assert f"{base}: runtime:" in err
    assert "Traceback" not in err


def test_cli_validate_accepts_the_shipped_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate"]) == 0
    assert "configuration is valid" in capsys.readouterr().out
    assert main(["config", "validate", "--env", "prod", "--file", str(default_config_file())]) == 0


def test_cli_show_never_prints_secret_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-a-real-token-000000")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "xoxb-not-a-real-token" not in out
    assert "environment variable SLACK_BOT_TOKEN (set)" in out


def test_cli_schema_is_a_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import jsonschema

    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"runtime", "plugins", "slack", "secrets"} <= set(schema["properties"])
