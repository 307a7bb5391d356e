# The whole Crewbot deployment. modules/catalog (no provider) turns the deploy catalog that functions.tf
# reads (functions, tasks, queues, workflows, tables) into names, ARNs and IAM statements; the other
# modules create the resources from its outputs.

module "catalog" {
  source = "./modules/catalog"

  project       = var.project
  environment   = var.environment
  account_id    = data.aws_caller_identity.current.account_id
  region        = var.region
  partition     = data.aws_partition.current.partition
  workflows     = local.workflows
  tables        = local.tables
  models        = local.models
  functions     = local.functions
  queues        = local.queues
  secrets       = local.secrets
  tasks         = local.tasks
  task_networks = local.task_networks
}

module "secrets" {
  source = "./modules/secrets"

  name_prefix          = local.name_prefix
  kms_alias            = module.catalog.names.kms_alias
  account_id           = data.aws_caller_identity.current.account_id
  region               = var.region
  partition            = data.aws_partition.current.partition
  secrets              = module.catalog.secrets
  recovery_window_days = var.secret_recovery_window_days
}

module "data" {
  source = "./modules/data"

  tables       = module.catalog.tables
  buckets      = module.catalog.buckets
  kms_key_arn  = module.secrets.kms_key_arn
  protect_data = var.protect_data
}

# -- code -----------------------------------------------------------------------------------------------

module "packages" {
  source = "./modules/packages"
  count  = local.has_functions ? 1 : 0

  bucket_name = module.catalog.names.packages_bucket
  kms_key_arn = module.secrets.kms_key_arn
  files = {
    "crewbot.zip"                                = local.code_zip
    "dependencies-${var.architecture}.zip"       = local.layer_zip
    "dependencies-slack-${var.architecture}.zip" = local.slack_layer_zip
  }
}

resource "aws_lambda_layer_version" "dependencies" {
  count = local.has_functions ? 1 : 0

  layer_name               = "${local.name_prefix}-dependencies"
  description              = "Crewbot's Python dependencies (make package ARCH=${var.architecture})."
  s3_bucket                = module.packages[0].bucket
  s3_key                   = module.packages[0].objects["dependencies-${var.architecture}.zip"].key
  s3_object_version        = module.packages[0].objects["dependencies-${var.architecture}.zip"].version_id
  source_code_hash         = filebase64sha256(local.layer_zip)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = [var.architecture]
}

# The Slack function's slim layer: only the distributions its paths import (bot/deploy/package.py
# SLACK_FUNCTION_DISTRIBUTIONS, checked by tests/infra/test_slack_layer.py), so its cold start loads
# less than the full layer every other function gets.
locals {
  slack_layer_zip = "${local.package_dir}/dependencies-slack-${var.architecture}.zip"
  # The functions serving Slack: the Slack entry point's handler.
  slack_functions = [for name, f in local.functions : name if f.handler == "bot.entrypoints.slack.handler"]
}

resource "aws_lambda_layer_version" "slack_dependencies" {
  count = length(local.slack_functions) > 0 ? 1 : 0

  layer_name               = "${local.name_prefix}-slack-dependencies"
  description              = "The Slack function's Python dependencies (make package ARCH=${var.architecture})."
  s3_bucket                = module.packages[0].bucket
  s3_key                   = module.packages[0].objects["dependencies-slack-${var.architecture}.zip"].key
  s3_object_version        = module.packages[0].objects["dependencies-slack-${var.architecture}.zip"].version_id
  source_code_hash         = filebase64sha256(local.slack_layer_zip)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = [var.architecture]
}

# The Slack / OAuth HTTP API exists before the functions so they can be told its public URL (the
# calendar OAuth redirect); its routes and stage come with the bot function (modules/slack_api).
resource "aws_apigatewayv2_api" "slack" {
  count = local.has_bot ? 1 : 0

  name          = module.catalog.names.http_api
  protocol_type = "HTTP"
  description   = "Slack events, commands and interactivity; calendar OAuth callbacks."
}

module "function" {
  source   = "./modules/lambda_function"
  for_each = local.functions

  function = module.catalog.functions[each.key]
  package = {
    s3_bucket         = module.packages[0].bucket
    s3_key            = module.packages[0].objects["crewbot.zip"].key
    s3_object_version = module.packages[0].objects["crewbot.zip"].version_id
    hash              = filebase64sha256(local.code_zip)
  }
  layer_arns = [
    contains(local.slack_functions, each.key) ? aws_lambda_layer_version.slack_dependencies[0].arn : aws_lambda_layer_version.dependencies[0].arn
  ]
  architecture = var.architecture
  memory_mb    = coalesce(try(var.function_sizing[each.key].memory_mb, null), module.catalog.functions[each.key].memory_mb)
  timeout_s    = coalesce(try(var.function_sizing[each.key].timeout_s, null), module.catalog.functions[each.key].timeout_s)
  # -1: unreserved. Reserving capacity for the bot keeps Slack answering when other functions are busy.
  reserved_concurrency = coalesce(try(var.function_sizing[each.key].reserved_concurrency, null), -1)
  log_retention_days   = var.log_retention_days
  kms_key_arn          = module.secrets.kms_key_arn
  tracing              = var.xray
  vpc                  = var.vpc
  partition            = data.aws_partition.current.partition
  service_name         = var.project
  metrics_namespace    = title(var.project)
  extra_environment = merge(
    {
      CREWBOT_FEATURES__XRAY   = tostring(var.xray)
      CREWBOT_FEATURES__ALARMS = tostring(var.alarms)
      CREWBOT_FEATURES__VPC    = tostring(var.vpc != null)
    },
    # Where calendar providers send people back after consent (plugins/meeting_prep/settings.py).
    local.has_bot ? { CREWBOT_PLUGINS__SETTINGS__MEETING_PREP__OAUTH_BASE_URL = local.slack_public_url } : {},
    # Behind CloudFront, the value its requests carry (waf.tf, bot/slack/origin.py).
    each.key == "bot" ? local.origin_environment : {},
  )
}

# -- entry points and orchestration -------------------------------------------------------------------

module "slack_api" {
  source = "./modules/slack_api"
  count  = local.has_bot ? 1 : 0

  name                = module.catalog.names.http_api
  api                 = aws_apigatewayv2_api.slack[0]
  function_name       = module.function["bot"].name
  function_invoke_arn = module.function["bot"].live_invoke_arn
  log_retention_days  = var.log_retention_days
  kms_key_arn         = module.secrets.kms_key_arn
}

module "queues" {
  source = "./modules/queues"

  queues                 = module.catalog.queues
  consumer_function_arns = { for k, f in module.function : k => f.live_arn }
  kms_key_arn            = module.secrets.kms_key_arn
}

module "state_machines" {
  source = "./modules/state_machines"

  name_prefix        = local.name_prefix
  account_id         = data.aws_caller_identity.current.account_id
  workflows          = module.catalog.workflows
  bindings           = module.catalog.workflow_bindings
  statements         = module.catalog.states_statements
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.secrets.kms_key_arn
  tracing            = var.xray

  # The definitions name the task functions by ARN: create those first.
  depends_on = [module.function]
}

locals {
  wired_rules = {
    for k, r in local.event_rules : k => {
      description = r.description
      pattern     = jsonencode(r.pattern)
      target_kind = r.state_machine != null ? "state_machine" : "function"
      # Rules start the state machine's `live` alias, as functions are invoked through theirs.
      target_arn = r.state_machine != null ? module.state_machines.live_arns[r.state_machine] : module.function[r.function].live_arn
      # What the rule cannot deliver waits with the function's own failed events.
      dead_letter_arn = r.state_machine != null ? null : module.catalog.arns.async_dlqs[r.function]
    }
    if(r.state_machine != null && contains(keys(module.catalog.workflows), coalesce(r.state_machine, "-")))
    || (r.function != null && contains(keys(local.functions), coalesce(r.function, "-")))
  }
  wired_schedules = {
    for k, s in local.schedules : k => {
      description     = s.description
      expression      = s.expression
      function_arn    = module.function[s.function].live_arn
      dead_letter_arn = module.catalog.arns.async_dlqs[s.function]
    } if contains(keys(local.functions), s.function)
  }
  pending_wiring = concat(
    [for k, r in local.event_rules : "event rule ${k}: ${coalesce(r.state_machine, r.function)} is not deployed yet" if !contains(keys(local.wired_rules), k)],
    [for k, s in local.schedules : "schedule ${k}: function ${s.function} is not deployed yet" if !contains(keys(local.wired_schedules), k)],
  )
}

# Every asynchronous path ends in a dead-letter queue: lazy Slack listeners, rule and schedule targets.
module "dead_letters" {
  source = "./modules/dead_letters"

  functions = {
    for k, name in module.catalog.names.async_dlqs : k => {
      function_name = module.function[k].name
      role_name     = module.function[k].role_name
      dlq_name      = name
      # A lazy listener that fails has usually posted already: running it again would post twice, so its
      # event waits for `crewbot dlq redrive` after a fix. Rule and schedule targets get Lambda's 2 retries.
      retries = local.functions[k].trigger == "http" ? 0 : 2
    }
  }
  scheduler_dlq_name = module.catalog.names.scheduler_dlq
  bus_name           = module.catalog.names.event_bus
  account_id         = data.aws_caller_identity.current.account_id
  region             = var.region
  partition          = data.aws_partition.current.partition
}

module "events" {
  source = "./modules/events"

  name_prefix         = local.name_prefix
  account_id          = data.aws_caller_identity.current.account_id
  bus_name            = module.catalog.names.event_bus
  schedule_group_name = module.catalog.names.schedule_group
  scheduler_role_name = module.catalog.names.scheduler_role
  kms_key_arn         = module.secrets.kms_key_arn
  rules               = local.wired_rules
  schedules           = local.wired_schedules

  reminders_dead_letter_arn = module.dead_letters.scheduler_dlq_arn

  depends_on = [module.dead_letters]
}

# -- project phases on Fargate (phase_runner = "ecs") ---------------------------------------------------

module "phase_runner" {
  source = "./modules/phase_runner"
  count  = var.phase_runner == "ecs" ? 1 : 0

  task               = module.catalog.tasks["phase_runner"]
  image_tag          = var.phase_runner_task.image_tag
  cpu                = coalesce(var.phase_runner_task.cpu, module.catalog.tasks["phase_runner"].cpu)
  memory_mb          = coalesce(var.phase_runner_task.memory_mb, module.catalog.tasks["phase_runner"].memory_mb)
  architecture       = var.architecture
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.secrets.kms_key_arn
  protect_data       = var.protect_data
  account_id         = data.aws_caller_identity.current.account_id
  region             = var.region
  partition          = data.aws_partition.current.partition
  service_name       = var.project
  metrics_namespace  = title(var.project)
  extra_environment = {
    CREWBOT_FEATURES__XRAY   = tostring(var.xray)
    CREWBOT_FEATURES__ALARMS = tostring(var.alarms)
    CREWBOT_FEATURES__VPC    = tostring(var.vpc != null)
  }
}

module "observability" {
  source = "./modules/observability"

  name_prefix        = local.name_prefix
  enabled            = var.alarms
  topic_name         = module.catalog.names.alarm_topic
  dashboard_name     = module.catalog.names.dashboard
  alarm_emails       = var.alarm_emails
  kms_key_arn        = module.secrets.kms_key_arn
  region             = var.region
  function_names     = values(module.catalog.names.functions)
  dlq_names          = concat(values(module.catalog.names.dlqs), values(module.catalog.names.async_dlqs), [module.catalog.names.scheduler_dlq])
  state_machine_arns = module.state_machines.arns
  table_names        = values(module.catalog.names.tables)
  monthly_budget_usd = var.monthly_budget_usd
  project_tag        = var.project
  metrics_namespace  = title(var.project)
  essential_alarms   = var.essential_alarms
  agents             = local.agents
  agents_namespace   = var.project
  slack_function     = try(module.catalog.names.functions["bot"], null)
  calendar_function  = try(module.catalog.names.functions["schedule_calendar_monitor"], null)
  queue_names        = values(module.catalog.names.queues)

  depends_on = [module.function, module.queues, module.data, module.dead_letters]
}
