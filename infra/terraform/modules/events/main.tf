# Crewbot's event bus and what listens on it, the fixed schedules (the calendar monitor every two
# hours) and the Scheduler group where the bot creates one-off reminders (named <project>-<environment>, as bot/events/service.py expects) at run time.

resource "aws_cloudwatch_event_bus" "this" {
  name = var.bus_name
}

# Rules on the bus: an event matching the pattern (EventBridge syntax, as the plugin's EventHandler
# declares it) starts a state machine or invokes a function.
resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description    = each.value.description
  event_bus_name = aws_cloudwatch_event_bus.this.name
  event_pattern  = each.value.pattern
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = var.rules

  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  arn            = each.value.target_arn
  role_arn       = each.value.target_kind == "state_machine" ? aws_iam_role.events[0].arn : null

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 7200
  }

  # Events EventBridge cannot deliver (after the retries) are kept, not dropped.
  dynamic "dead_letter_config" {
    for_each = each.value.dead_letter_arn == null ? [] : [each.value.dead_letter_arn]
    content {
      arn = dead_letter_config.value
    }
  }
}

resource "aws_lambda_permission" "rules" {
  for_each = { for k, r in var.rules : k => r if r.target_kind == "function" }

  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.target_arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

# EventBridge needs a role to start state machines: exactly the ones rules target.
locals {
  # Counted by kind (known at plan time); the ARNs themselves are only known after apply.
  starts_state_machines = length([for r in values(var.rules) : r if r.target_kind == "state_machine"]) > 0
  # A rule targets a state machine's alias; Step Functions authorizes StartExecution on an alias or a
  # version against the unqualified state machine ARN, so the policy names that.
  state_machine_targets = distinct([
    for r in values(var.rules) : regex("^(.*:stateMachine:[^:]+)", r.target_arn)[0] if r.target_kind == "state_machine"
  ])
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  count = local.starts_state_machines ? 1 : 0

  name               = "${var.name_prefix}-events"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json
}

resource "aws_iam_role_policy" "events" {
  count = local.starts_state_machines ? 1 : 0

  name = "start-state-machines"
  role = aws_iam_role.events[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "StartTargets", Effect = "Allow", Action = ["states:StartExecution"], Resource = local.state_machine_targets }]
  })
}

# Fixed schedules (EventBridge Scheduler) that invoke a function.
resource "aws_scheduler_schedule_group" "reminders" {
  name = var.schedule_group_name
}

resource "aws_scheduler_schedule_group" "fixed" {
  name = "${var.name_prefix}-fixed"
}

resource "aws_scheduler_schedule" "this" {
  for_each = var.schedules

  name                         = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  group_name                   = aws_scheduler_schedule_group.fixed.name
  schedule_expression          = each.value.expression
  schedule_expression_timezone = "UTC"
  description                  = each.value.description
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = each.value.function_arn
    role_arn = aws_iam_role.scheduler.arn
    # bot/entrypoints/events.py reads the firing time from "time", as in an EventBridge event.
    input = jsonencode({ schedule = each.key, time = "<aws.scheduler.scheduled-time>" })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }

    # A firing the Scheduler cannot deliver is kept with the function's failed events.
    dead_letter_config {
      arn = each.value.dead_letter_arn
    }
  }
}

# The role schedules run with: the fixed schedules invoke their functions; the reminders the bot
# creates at run time put an event on the bus.
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = var.scheduler_role_name
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "PutReminderEvents"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.this.arn]
  }

  dynamic "statement" {
    for_each = length(var.schedules) > 0 ? [1] : []
    content {
      sid       = "InvokeScheduledFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = distinct([for s in values(var.schedules) : s.function_arn])
    }
  }

  # bot/events/scheduler.py gives every one-off schedule this dead-letter queue.
  statement {
    sid       = "ReminderDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [var.reminders_dead_letter_arn]
  }

  dynamic "statement" {
    for_each = length(var.schedules) > 0 ? [1] : []
    content {
      sid       = "DeadLetters"
      actions   = ["sqs:SendMessage"]
      resources = distinct([for s in values(var.schedules) : s.dead_letter_arn])
    }
  }

  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "least-privilege"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
