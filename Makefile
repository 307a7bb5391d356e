# The two commands of the README: `make dev` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test lint typecheck install clean package image

# (Re)install when the project metadata changes; editable so the checkout is what runs.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/crewbot dev

# pytest runs one worker per core; a test file stays on one worker (its fixtures and fakes stay together).
test: $(STAMP)
	$(BIN)/python -m ruff check bot plugins tests benchmarks
	$(BIN)/python -m ruff format --check bot plugins tests benchmarks
	$(BIN)/python -m mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/python -m ruff check bot plugins tests benchmarks
	$(BIN)/python -m ruff format --check bot plugins tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/python -m mypy

# Lambda artefacts for infra/terraform: dist/lambda/crewbot.zip + dependencies-$(ARCH).zip (arm64 or x86_64)
# and the deploy catalog (catalog.json) of environment ENV; PLUGINS: third-party plugin packages to deploy.
ARCH ?= arm64
ENV ?= dev
PLUGINS ?=
package: $(STAMP)
	$(BIN)/python -m bot.deploy.package --arch $(ARCH) --env $(ENV) $(foreach p,$(PLUGINS),--plugin $(p)) $(if $(LAMBDA_PYTHON),--python $(LAMBDA_PYTHON))

# The Fargate phase runner image (infra/docker/phase-runner/Dockerfile) for ARCH: the crewbot wheel on
# python:3.12-slim, tagged $(IMAGE):$(TAG). Needs Docker; see infra/terraform/README.md to push it.
IMAGE ?= crewbot-phase-runner
TAG   ?= $(shell git rev-parse --short=12 HEAD)
image: $(STAMP)
	rm -rf dist/image
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist/image .
	docker build --platform $(if $(filter x86_64,$(ARCH)),linux/amd64,linux/arm64) \
		-f infra/docker/phase-runner/Dockerfile -t $(IMAGE):$(TAG) dist/image

clean:
	rm -rf $(VENV) .crewbot build dist .pytest_cache .mypy_cache .ruff_cache
