# What runs in AWS: the Lambda functions, the queues they consume, the secrets they read and what
# triggers them. bot/deploy/catalog.py declares the same functions and queues (tests/infra compares
# both sides and imports every handler), so a function exists here only once its handler exists.
# Access lists name logical tables, buckets, queues, state machines and secrets; the catalog turns
# them into one least-privilege IAM statement per kind of access.

locals {
  functions = {
    bot = {
      handler              = "bot.entrypoints.slack.handler"
      description          = "Slack entry point and OAuth callbacks: acknowledges within 3 s, runs the rest as lazy listeners."
      trigger              = "http"
      memory_mb            = 1024
      timeout_s            = 300
      tables_write         = ["action_items", "audit_log", "calendar_connections", "chat_sessions", "idempotency", "meetings", "oauth_states", "patterns", "project_items", "projects", "task_ledger", "usage", "usage_totals", "users"]
      buckets_write        = ["artifacts", "materials", "sessions"]
      state_machines_start = ["meeting_prep", "project_phases"]
      task_callback        = true
      events_put           = true
      secrets              = ["google_oauth_client", "microsoft_oauth_client", "slack_bot_token", "slack_signing_secret"]
      bedrock              = true
      invoke_self          = true
      schedules            = true
      token_cipher         = true
      # A customer's answer resumes an interrupted phase: with phase_runner "ecs", in a new phase task.
      run_tasks = ["phase_runner"]
    }
    schedule_calendar_monitor = {
      handler      = "bot.entrypoints.events.schedule_handler"
      description  = "Every 2 hours: sync active users' calendars, classify meetings, emit MeetingRequiresPrep."
      trigger      = "schedule"
      timeout_s    = 300
      tables_read  = ["users"]
      tables_write = ["audit_log", "calendar_connections", "meetings"]
      events_put   = true
      secrets      = ["google_oauth_client", "microsoft_oauth_client"]
      token_cipher = true
      environment  = { CREWBOT_SCHEDULE = "calendar-monitor" }
    }
    event_meeting_prep_start = {
      handler              = "bot.entrypoints.events.event_handler"
      description          = "MeetingRequiresPrep: start the meeting-prep workflow (once per meeting version)."
      trigger              = "event"
      tables_read          = ["meetings"]
      state_machines_start = ["meeting_prep"]
      environment          = { CREWBOT_EVENT_HANDLER = "meeting-prep-start" }
    }
    event_meeting_prep_reminder = {
      handler      = "bot.entrypoints.events.event_handler"
      description  = "MeetingReminderDue: the reminder DM before the meeting, with the materials link."
      trigger      = "event"
      tables_read  = ["meetings", "users"]
      buckets_read = ["materials"]
      secrets      = ["slack_bot_token"]
      environment  = { CREWBOT_EVENT_HANDLER = "meeting-prep-reminder" }
    }
    event_meeting_prep_snooze = {
      handler      = "bot.entrypoints.events.event_handler"
      description  = "PrepSnoozeElapsed: notify again, or snooze on through quiet hours."
      trigger      = "event"
      tables_read  = ["users"]
      tables_write = ["meetings"]
      secrets      = ["slack_bot_token"]
      schedules    = true
      environment  = { CREWBOT_EVENT_HANDLER = "meeting-prep-snooze" }
    }
    task_load_meeting = {
      handler     = "bot.entrypoints.workflows.handler"
      description = "Load the meeting and decide whether it still needs prep."
      trigger     = "workflow_task"
      tables_read = ["meetings"]
    }
    task_fetch_context = {
      handler     = "bot.entrypoints.workflows.handler"
      description = "One context topic for the meeting (a Parallel branch)."
      trigger     = "workflow_task"
      timeout_s   = 60
    }
    task_send_prep_notification = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "DM with Start prep / Snooze / Skip; SMS fallback."
      trigger      = "workflow_task"
      tables_read  = ["users"]
      tables_write = ["meetings"]
      secrets      = ["slack_bot_token"]
      sms          = true
    }
    task_wait_for_chat_completion = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "Keep the task token on the meeting for the prep chat."
      trigger      = "workflow_task"
      tables_write = ["meetings"]
    }
    task_generate_materials = {
      handler       = "bot.entrypoints.workflows.handler"
      description   = "Agenda, question bank, notes template and a briefing."
      trigger       = "workflow_task"
      memory_mb     = 1024
      timeout_s     = 300
      tables_read   = ["meetings", "users"]
      tables_write  = ["chat_sessions", "usage", "usage_totals"]
      buckets_write = ["sessions"]
      bedrock       = true
    }
    task_store_materials = {
      handler       = "bot.entrypoints.workflows.handler"
      description   = "Materials into the materials bucket."
      trigger       = "workflow_task"
      tables_write  = ["meetings"]
      buckets_write = ["materials"]
    }
    task_send_materials = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "Preview and links in Slack."
      trigger      = "workflow_task"
      tables_read  = ["users"]
      buckets_read = ["materials"]
      secrets      = ["slack_bot_token"]
    }
    task_schedule_reminder = {
      handler     = "bot.entrypoints.workflows.handler"
      description = "Reminder before the meeting (a one-off schedule)."
      trigger     = "workflow_task"
      schedules   = true
    }
    task_run_project_phase = {
      handler       = "bot.entrypoints.workflows.handler"
      description   = "Run a phase's Swarm inline (at most 15 minutes) or start its Fargate task; the run answers its task token."
      trigger       = "workflow_task"
      memory_mb     = 2048
      timeout_s     = 900
      tables_write  = ["chat_sessions", "usage", "usage_totals", "audit_log", "patterns", "project_items", "projects", "task_ledger"]
      buckets_write = ["artifacts", "sessions"]
      task_callback = true
      secrets       = ["slack_bot_token"]
      bedrock       = true
      run_tasks     = ["phase_runner"]
    }
    task_review_project_phase = {
      handler       = "bot.entrypoints.workflows.handler"
      description   = "PM review of a phase's deliverables."
      trigger       = "workflow_task"
      memory_mb     = 1024
      timeout_s     = 300
      tables_write  = ["chat_sessions", "usage", "usage_totals", "audit_log", "patterns", "project_items", "projects", "task_ledger"]
      buckets_write = ["artifacts", "sessions"]
      secrets       = ["slack_bot_token"]
      bedrock       = true
    }
    task_request_phase_approval = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "Post the Approve / Revise gate in Slack."
      trigger      = "workflow_task"
      tables_write = ["audit_log", "patterns", "project_items", "projects", "task_ledger"]
      buckets_read = ["artifacts"]
      secrets      = ["slack_bot_token"]
    }
    task_finish_project = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "Close a delivered project and post the totals."
      trigger      = "workflow_task"
      tables_read  = ["usage"]
      tables_write = ["audit_log", "patterns", "project_items", "projects", "task_ledger"]
      secrets      = ["slack_bot_token"]
    }
    task_project_phase_failed = {
      handler      = "bot.entrypoints.workflows.handler"
      description  = "Report a failed phase and pause the project."
      trigger      = "workflow_task"
      tables_write = ["audit_log", "patterns", "project_items", "projects", "task_ledger"]
      secrets      = ["slack_bot_token"]
    }
  }

  queues = {}

  # Container tasks (ECS Fargate), for work that may outlast Lambda's 15 minutes; bot/deploy/catalog.py
  # TASKS declares the same. A task is deployed only when enabled (phase_runner: var.phase_runner =
  # "ecs", modules/phase_runner); the functions naming it in run_tasks may then start it.
  tasks = {
    phase_runner = {
      description   = "A project phase's Swarm when it may outlast Lambda (phase_runner: ecs); answers the phase's task token."
      command       = ["crewbot", "projects", "run-phase", "--help"]
      tables_write  = ["chat_sessions", "usage", "usage_totals", "audit_log", "patterns", "project_items", "projects", "task_ledger"]
      buckets_write = ["artifacts", "sessions"]
      task_callback = true
      secrets       = ["slack_bot_token"]
      bedrock       = true
    }
  }

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
    meeting-prep-start = {
      description   = "MeetingRequiresPrep from the calendar monitor: start the meeting-prep workflow."
      pattern       = { source = ["crewbot.calendar-monitor"], "detail-type" = ["MeetingRequiresPrep"] }
      state_machine = null
      function      = "event_meeting_prep_start"
    }
    meeting-prep-reminder = {
      description   = "A prep reminder is due: DM the reminder."
      pattern       = { source = ["crewbot.meeting-prep"], "detail-type" = ["MeetingReminderDue"] }
      state_machine = null
      function      = "event_meeting_prep_reminder"
    }
    meeting-prep-snooze = {
      description   = "A snoozed prep notification is due again."
      pattern       = { source = ["crewbot.meeting-prep"], "detail-type" = ["PrepSnoozeElapsed"] }
      state_machine = null
      function      = "event_meeting_prep_snooze"
    }
  }

  # Fixed schedules (UTC) invoking a function, by the name of the plugin's Schedule, with the same
  # expression (tests/infra compares them).
  schedules = {
    calendar-monitor = {
      description = "Sync every active user's calendars and emit MeetingRequiresPrep."
      expression  = "rate(2 hours)"
      function    = "schedule_calendar_monitor"
    }
  }
}
