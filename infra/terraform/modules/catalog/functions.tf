# Lambda functions as deployed: physical names, sizing, environment and the SQS queues they consume.

locals {
  task_of_function = { for task, fn in local.task_functions : fn => task }

  # The CREWBOT_* variables every function runs with (bot/deploy/catalog.py lambda_environment); a
  # workflow task's function also gets CREWBOT_WORKFLOW_TASK (bot/workflows/lambda_entry.py). The
  # account id is YAML-quoted: the config loader reads variables as YAML, and a bare 12-digit number
  # is not a string.
  lambda_environment = {
    CREWBOT_PROJECT         = var.project
    CREWBOT_ENVIRONMENT     = var.environment
    CREWBOT_RUNTIME         = "aws"
    CREWBOT_AWS__REGION     = var.region
    CREWBOT_AWS__ACCOUNT_ID = "'${var.account_id}'"
    CREWBOT_HOME            = "/tmp/crewbot"
  }

  functions = {
    for fn, f in var.functions : fn => merge(f, {
      logical_name = fn
      # The function's own variables as declared; `environment` below is what it runs with.
      own_environment = f.environment
      name            = local.names.functions[fn]
      arn             = local.arns.functions[fn]
      environment = merge(
        local.lambda_environment,
        contains(keys(local.task_of_function), fn) ? { CREWBOT_WORKFLOW_TASK = local.task_of_function[fn] } : {},
        f.environment,
      )
      statements  = local.policy_statements[fn]
      key_kinds   = local.key_kinds[fn]
      key_actions = local.key_actions[fn]
    })
  }

  queues = {
    for q, spec in var.queues : q => {
      name        = local.names.queues[q]
      dlq_name    = local.names.dlqs[q]
      arn         = local.arns.queues[q]
      consumer    = spec.consumer
      description = spec.description
      # AWS advises six times the consumer's timeout, so a message is not redelivered while a
      # batch is still being retried; never less than the consumer's timeout.
      visibility_timeout_s = min(43200, 6 * try(var.functions[spec.consumer].timeout_s, 900))
    }
  }
  unknown_consumers = [for q, spec in var.queues : "${q}: ${spec.consumer}" if !contains(keys(var.functions), spec.consumer)]
}
