"""What Crewbot deploys to AWS, described once for Terraform's tests and for humans.

:mod:`bot.deploy.catalog` lists the Lambda functions and container tasks (handler strings or commands,
sizing and exactly which tables, buckets, queues, state machines, secrets and AWS actions each may use)
and which tables and buckets exist in AWS. ``infra/terraform`` declares the same in HCL; ``tests/infra``
checks that the two agree, that every handler string names a real callable
and that each IAM action is one the code calls.
"""

from bot.deploy.catalog import (
    ACCESS_ACTIONS,
    FUNCTIONS,
    QUEUES,
    TASKS,
    Access,
    FunctionSpec,
    QueueSpec,
    TaskSpec,
    aws_tables,
    function_actions,
    lambda_environment,
)

__all__ = [
    "ACCESS_ACTIONS",
    "FUNCTIONS",
    "QUEUES",
    "TASKS",
    "Access",
    "FunctionSpec",
    "QueueSpec",
    "TaskSpec",
    "aws_tables",
    "function_actions",
    "lambda_environment",
]
