# What runs in AWS: the Lambda functions, the queues they consume, the secrets they read and what
# triggers them. bot/deploy/catalog.py declares the same functions and queues (tests/infra compares
# both sides and imports every handler), so a function exists here only once its handler exists.
# Access lists name logical tables, buckets, queues, state machines and secrets; the catalog turns
# them into one least-privilege IAM statement per kind of access.

locals {
  functions = {
    bot = {
      handler     = "bot.slack.lambda_handler.handler"
      description = "Slack entry point: acknowledges within 3 s, runs agents and actions as lazy listeners."
      trigger     = "http"
      memory_mb   = 1024
      # Lazy listeners (agent turns) run in this function too, so it gets the agents' time.
      timeout_s = 300
      tables_write = [
        "action_items", "audit_log", "chat_sessions", "idempotency", "meetings", "projects", "task_ledger", "usage", "users",
      ]
      buckets_write = ["artifacts", "materials", "sessions"]
      task_callback = true
      events_put    = true
      schedules     = true
      bedrock       = true
      invoke_self   = true
      secrets       = ["google_oauth_client", "microsoft_oauth_client", "slack_bot_token", "slack_signing_secret"]
    }
  }

  queues = {}

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

  # Events on Crewbot's bus and what they start, by the name of the plugin's EventHandler, with the
  # same EventBridge pattern (tests/infra compares them). Only rules whose target is deployed are
  # created; `terraform output pending_wiring` lists the others.
  event_rules = {
    meeting_requires_prep = {
      description   = "The calendar monitor found a meeting that needs preparation: start the meeting-prep workflow."
      pattern       = { "detail-type" = ["MeetingRequiresPrep"] }
      state_machine = "meeting_prep"
      function      = null
    }
    task_events = {
      description   = "Supervisor delegation: task.request and task.completion go to the supervisor."
      pattern       = { "detail-type" = ["task.request", "task.completion"] }
      state_machine = null
      function      = "supervisor"
    }
  }

  # Fixed schedules (UTC) invoking a function, by the name of the plugin's Schedule, with the same
  # expression (tests/infra compares them).
  schedules = {
    calendar_monitor = {
      description = "Poll every active user's calendars and emit MeetingRequiresPrep."
      expression  = "rate(2 hours)"
      function    = "calendar_monitor"
    }
  }
}
