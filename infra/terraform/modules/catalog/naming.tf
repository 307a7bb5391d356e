# The naming rule of bot/config/naming.py (ResourceNamer), applied to every logical name:
#   "<project>-<environment>-<logical with _ as ->", buckets suffixed with "-<account id>",
#   secrets as paths "<project>/<environment>/<name>".
# tests/infra evaluates these outputs and compares them with ResourceNamer.

locals {
  prefix = "${var.project}-${var.environment}"

  # Functions Lambda invokes asynchronously: the Slack entry point (its lazy listeners), event rule and
  # schedule targets. Each gets a dead-letter queue for events that still fail after Lambda's retries.
  async_functions = sort([for k, f in var.functions : k if contains(["http", "event", "schedule"], f.trigger)])

  # CamelCase workflow task names (LoadMeeting) become logical function names (task_load_meeting).
  task_functions = { for task in local.workflow_tasks : task => "task_${lower(replace(task, "/([a-z0-9])([A-Z])/", "$${1}_$${2}"))}" }

  names = {
    tables    = { for k in keys(local.tables) : k => "${local.prefix}-${replace(k, "_", "-")}" }
    buckets   = { for k in keys(local.buckets) : k => "${local.prefix}-${replace(k, "_", "-")}-${var.account_id}" }
    functions = { for k in keys(var.functions) : k => "${local.prefix}-${replace(k, "_", "-")}" }
    queues    = { for k in keys(var.queues) : k => "${local.prefix}-${replace(k, "_", "-")}" }
    dlqs      = { for k in keys(var.queues) : k => "${local.prefix}-${replace(k, "_", "-")}-dlq" }
    # Where an asynchronously invoked function's failed events wait (its lazy listeners, rule and schedule
    # targets): bot/deploy/catalog.py dead_letters() names them the same way.
    async_dlqs     = { for k in local.async_functions : k => "${local.prefix}-${replace(k, "_", "-")}-async-dlq" }
    state_machines = { for k in keys(local.workflows) : k => "${local.prefix}-${replace(k, "_", "-")}" }
    secrets        = { for k, s in var.secrets : k => "${var.project}/${var.environment}/${s.name}" }
    event_bus      = "${local.prefix}-bus"
    schedule_group = local.prefix
    scheduler_role = "${local.prefix}-scheduler"
    kms_alias      = "alias/${local.prefix}"
    http_api       = "${local.prefix}-slack"
    alarm_topic    = "${local.prefix}-alarms"
    dashboard      = "${local.prefix}-operations"
    # Where the Scheduler puts a one-off event (a reminder) it cannot deliver: bot/events/scheduler.py SCHEDULER_DLQ.
    scheduler_dlq = "${local.prefix}-scheduler-dlq"
    # The Lambda packages (not a bucket the code uses, so not in bot/storage/tables.py BUCKETS).
    packages_bucket = "${local.prefix}-packages-${var.account_id}"
    # A container task's cluster, task definition family and image repository share its name; its two
    # roles and log group derive from it.
    tasks           = { for k in keys(var.tasks) : k => "${local.prefix}-${replace(k, "_", "-")}" }
    task_roles      = { for k in keys(var.tasks) : k => "${local.prefix}-${replace(k, "_", "-")}-task" }
    execution_roles = { for k in keys(var.tasks) : k => "${local.prefix}-${replace(k, "_", "-")}-exec" }
    task_log_groups = { for k in keys(var.tasks) : k => "/ecs/${local.prefix}-${replace(k, "_", "-")}" }
  }

  # AWS limits some names; the same limits as ResourceNamer so neither side produces a name AWS rejects.
  name_limits = {
    tables = 255, buckets = 63, functions = 64, queues = 80, dlqs = 80, async_dlqs = 80, state_machines = 80,
    tasks  = 255, task_roles = 64, execution_roles = 64,
  }
  too_long = flatten([
    for kind, limit in local.name_limits : [for n in values(local.names[kind]) : n if length(n) > limit]
  ])

  arn_prefix = { for svc in ["dynamodb", "lambda", "sqs", "states", "events", "secretsmanager", "scheduler", "logs", "ecs"] :
  svc => "arn:${var.partition}:${svc}:${var.region}:${var.account_id}" }

  arns = {
    tables         = { for k, n in local.names.tables : k => "${local.arn_prefix.dynamodb}:table/${n}" }
    buckets        = { for k, n in local.names.buckets : k => "arn:${var.partition}:s3:::${n}" }
    functions      = { for k, n in local.names.functions : k => "${local.arn_prefix.lambda}:function:${n}" }
    queues         = { for k, n in local.names.queues : k => "${local.arn_prefix.sqs}:${n}" }
    dlqs           = { for k, n in local.names.dlqs : k => "${local.arn_prefix.sqs}:${n}" }
    async_dlqs     = { for k, n in local.names.async_dlqs : k => "${local.arn_prefix.sqs}:${n}" }
    state_machines = { for k, n in local.names.state_machines : k => "${local.arn_prefix.states}:stateMachine:${n}" }
    executions     = { for k, n in local.names.state_machines : k => "${local.arn_prefix.states}:execution:${n}:*" }
    # Secrets Manager appends six random characters to a secret's ARN.
    secrets        = { for k, n in local.names.secrets : k => "${local.arn_prefix.secretsmanager}:secret:${n}-??????" }
    event_bus      = "${local.arn_prefix.events}:event-bus/${local.names.event_bus}"
    schedule_group = "${local.arn_prefix.scheduler}:schedule/${local.names.schedule_group}/*"
    scheduler_role = "arn:${var.partition}:iam::${var.account_id}:role/${local.names.scheduler_role}"
    # RunTask names a family (its latest revision): every revision of it is allowed.
    task_definitions = { for k, n in local.names.tasks : k => "${local.arn_prefix.ecs}:task-definition/${n}:*" }
    clusters         = { for k, n in local.names.tasks : k => "${local.arn_prefix.ecs}:cluster/${n}" }
    tasks            = { for k, n in local.names.tasks : k => "${local.arn_prefix.ecs}:task/${n}/*" }
    task_roles       = { for k, n in local.names.task_roles : k => "arn:${var.partition}:iam::${var.account_id}:role/${n}" }
    execution_roles  = { for k, n in local.names.execution_roles : k => "arn:${var.partition}:iam::${var.account_id}:role/${n}" }
  }
}
