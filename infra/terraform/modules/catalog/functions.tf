# Lambda functions and container tasks as deployed: physical names, sizing, environment, IAM statements and
# the SQS queues the functions consume.

locals {
  task_of_function = { for task, fn in local.task_functions : fn => task }

  # The CREWBOT_* variables every function runs with (bot/deploy/catalog.py lambda_environment); a
  # workflow task's function also gets CREWBOT_WORKFLOW_TASK (bot/entrypoints/workflows.py). The
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
        contains(local.principals["function/${fn}"].run_tasks, "phase_runner") ? local.phase_runner_settings : {},
        f.environment,
      )
      statements  = local.policy_statements["function/${fn}"]
      key_kinds   = local.key_kinds["function/${fn}"]
      key_actions = local.key_actions["function/${fn}"]
    })
  }

  # A function that starts phase runs starts them as the deployed phase_runner task: the projects plugin's
  # settings (plugins/projects/settings.py), read by the config loader as YAML (JSON is YAML).
  phase_runner_settings = contains(keys(var.task_networks), "phase_runner") ? {
    CREWBOT_PLUGINS__SETTINGS__PROJECTS__PHASE_RUNNER = "ecs"
    CREWBOT_PLUGINS__SETTINGS__PROJECTS__ECS = jsonencode({
      cluster          = local.names.tasks["phase_runner"]
      task_definition  = local.names.tasks["phase_runner"]
      container        = local.task_container
      subnets          = var.task_networks["phase_runner"].subnet_ids
      security_groups  = var.task_networks["phase_runner"].security_group_ids
      assign_public_ip = var.task_networks["phase_runner"].assign_public_ip
    })
  } : {}

  # The container of every task definition that runs Crewbot (the settings' default `container`).
  task_container = "crewbot"

  tasks = {
    for tn, t in var.tasks : tn => merge(t, {
      logical_name        = tn
      deployed            = contains(keys(var.task_networks), tn)
      name                = local.names.tasks[tn]
      container           = local.task_container
      task_role_name      = local.names.task_roles[tn]
      execution_role_name = local.names.execution_roles[tn]
      log_group           = local.names.task_log_groups[tn]
      task_role_arn       = local.arns.task_roles[tn]
      execution_role_arn  = local.arns.execution_roles[tn]
      network             = try(var.task_networks[tn], null)
      # The same variables as a function's; /tmp is the task's writable scratch volume.
      environment = local.lambda_environment
      statements  = local.policy_statements["task/${tn}"]
      key_kinds   = local.key_kinds["task/${tn}"]
      key_actions = local.key_actions["task/${tn}"]
    })
  }

  queues = {
    for q, spec in var.queues : q => {
      name              = local.names.queues[q]
      dlq_name          = local.names.dlqs[q]
      arn               = local.arns.queues[q]
      consumer          = spec.consumer
      description       = spec.description
      max_receive_count = spec.max_receive_count
      batch_size        = spec.batch_size
      concurrency       = spec.concurrency
      # AWS advises six times the consumer's timeout, so a message is not redelivered while a
      # batch is still being retried; never less than the consumer's timeout.
      visibility_timeout_s = min(43200, 6 * try(var.functions[spec.consumer].timeout_s, 900))
    }
  }
  unknown_consumers = [for q, spec in var.queues : "${q}: ${spec.consumer}" if !contains(keys(var.functions), spec.consumer)]
}
