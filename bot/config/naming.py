"""One naming rule for every AWS resource, and one set of standard tags.

Terraform applies the same rule (``infra/terraform/locals.tf``): ``<project>-<environment>-<name>``,
with secrets and parameters as paths under ``<project>/<environment>/``. Code never hard-codes a
physical name; it asks a :class:`ResourceNamer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config.models import CrewbotConfig

_LOGICAL = re.compile(r"^[a-z][a-z0-9_-]*$")
# AWS limits the names of some resources; the rule must never produce a name AWS rejects.
_MAX_LENGTH = {"bucket": 63, "function": 64, "queue": 80, "table": 255, "state_machine": 80, "generic": 64}


@dataclass(frozen=True)
class ResourceNamer:
    """Builds physical AWS names from logical ones (``meetings`` → ``crewbot-dev-meetings``)."""

    project: str
    environment: str
    account_id: str | None = None

    @classmethod
    def from_config(cls, config: CrewbotConfig) -> ResourceNamer:
        return cls(config.project, config.environment, config.aws.account_id)

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    def name(self, logical: str, kind: str = "generic") -> str:
        """The physical name of resource ``logical`` of the given kind."""
        if not _LOGICAL.match(logical):
            raise ValueError(f"logical resource name {logical!r} must be lower-case letters, digits, '-' or '_'")
        physical = f"{self.prefix}-{logical.replace('_', '-')}"
        if kind == "bucket" and self.account_id:
            # Bucket names are global across all AWS accounts: the account id keeps them unique.
            physical = f"{physical}-{self.account_id}"
        limit = _MAX_LENGTH.get(kind, _MAX_LENGTH["generic"])
        if len(physical) > limit:
            raise ValueError(f"{kind} name {physical!r} is longer than AWS allows ({limit})")
        return physical

    def table(self, logical: str) -> str:
        return self.name(logical, "table")

    def bucket(self, logical: str) -> str:
        return self.name(logical, "bucket")

    def function(self, logical: str) -> str:
        return self.name(logical, "function")

    def queue(self, logical: str) -> str:
        return self.name(logical, "queue")

    def state_machine(self, logical: str) -> str:
        return self.name(logical, "state_machine")

    def secret(self, logical: str) -> str:
        """Secrets Manager / SSM path of a secret: ``<project>/<environment>/<logical>``."""
        return f"{self.project}/{self.environment}/{logical}"


def standard_tags(config: CrewbotConfig) -> dict[str, str]:
    """The tags every resource carries (Terraform passes the same map as ``default_tags``)."""
    tags = {
        "Project": config.project,
        "Environment": config.environment,
        "Owner": config.tags.owner,
        "CostCenter": config.tags.cost_center,
        "ManagedBy": "terraform",
    }
    clashes = sorted(set(tags) & set(config.tags.custom))
    if clashes:
        raise ValueError(f"tags.custom may not redefine standard tags: {', '.join(clashes)}")
    tags.update(config.tags.custom)
    return tags
