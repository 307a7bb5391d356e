"""What Crewbot deploys to AWS, generated from what the enabled plugins register.

:mod:`bot.deploy.catalog` builds the catalog of Lambda functions, container tasks, queues, workflows,
schedules, event rules and tables (handler strings or commands, sizing and exactly which tables,
buckets, queues, state machines, secrets and AWS actions each may use); ``infra/terraform`` reads it as
``catalog.json``. ``tests/infra`` checks that every handler string names a real callable and that each IAM
action is one the code calls.
"""

from bot.deploy.catalog import (
    ACCESS_ACTIONS,
    Access,
    Catalog,
    CatalogError,
    DeployedQueue,
    Deployment,
    FunctionSpec,
    TaskSpec,
    aws_tables,
    build_catalog,
    function_actions,
    lambda_environment,
)

__all__ = [
    "ACCESS_ACTIONS",
    "Access",
    "Catalog",
    "CatalogError",
    "DeployedQueue",
    "Deployment",
    "FunctionSpec",
    "TaskSpec",
    "aws_tables",
    "build_catalog",
    "function_actions",
    "lambda_environment",
]
