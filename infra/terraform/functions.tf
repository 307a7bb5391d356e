# What runs in AWS comes from the deploy catalog: `make package` writes it beside the Lambda artefacts
# (dist/lambda/catalog.json, with a copy of each registered workflow definition), generated from what the
# installed and enabled plugins register (`crewbot deploy catalog` shows it). Nothing here is declared per
# function, task, workflow, rule, schedule, queue or table: a plugin's registrations deploy as they are.
# Access lists name logical tables, buckets, queues, state machines and secrets; modules/catalog turns
# them into one least-privilege IAM statement per kind of access.

locals {
  catalog_file = coalesce(var.catalog_file, "${local.package_dir}/catalog.json")
  catalog      = jsondecode(file(local.catalog_file))

  # Lambda functions (handler, size, trigger, access), by logical name.
  functions = local.catalog.functions
  # SQS queues (each with <name>-dlq) and their consumer function.
  queues = local.catalog.queues
  # Container tasks (ECS Fargate), for work that may outlast Lambda's 15 minutes. A task is deployed only
  # when enabled (phase_runner: var.phase_runner = "ecs", modules/phase_runner); the functions naming it
  # in run_tasks may then start it.
  tasks = local.catalog.tasks
  # State machine definitions, copied beside the catalog file.
  workflows = { for k, w in local.catalog.workflows : k => "${dirname(local.catalog_file)}/${w.file}" }
  # DynamoDB tables: keys, indexes and TTL attribute.
  tables = local.catalog.tables
  # Events on Crewbot's bus and the function each starts, by the name of the plugin's EventHandler, with
  # its EventBridge pattern. Only rules whose target is deployed are created; `terraform output
  # pending_wiring` lists the others.
  event_rules = local.catalog.event_rules
  # Fixed schedules (UTC) invoking a function, by the name of the plugin's Schedule, with its expression.
  schedules = local.catalog.schedules
  # The Bedrock models and inference profiles the configuration's model profiles name.
  models = try(local.catalog.models, [])
  # The registered agents (their metrics' `agent` dimension).
  agents = try(local.catalog.agents, [])

  # Secrets Manager entries (values are set outside Terraform, see README.md). Paths are
  # <project>/<environment>/<name>, as bot/config/secrets.py looks them up.
  secrets = {
    slack_signing_secret = { name = "slack/signing-secret", description = "Slack app signing secret (Basic Information > App Credentials)." }
    slack_bot_token      = { name = "slack/bot-token", description = "Slack bot token xoxb-... (OAuth & Permissions)." }
    google_oauth_client  = { name = "google/oauth-client", description = "Google OAuth client for calendar access: JSON {\"client_id\", \"client_secret\"}." }
    microsoft_oauth_client = {
      name        = "microsoft/oauth-client"
      description = "Microsoft Entra app for calendar access: JSON {\"tenant_id\", \"client_id\", \"client_secret\"}."
    }
  }
}
