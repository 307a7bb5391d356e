# Dead letters of the asynchronous paths: every function Lambda invokes asynchronously (the Slack entry
# point's lazy listeners, event rule targets, schedule targets) gets a queue where an event lands once
# Lambda's own retries are spent (an on-failure destination: the record holds the event and the error),
# and EventBridge rules and schedules send what they cannot deliver to the same queue. `crewbot dlq`
# lists, shows and redrives them; observability alarms on any message in them.
#
# The queues use SQS-managed encryption rather than the deployment key: EventBridge delivers to them as
# a service principal, which the key policy would otherwise have to trust. They hold events (ids and
# names), never secrets.

resource "aws_sqs_queue" "this" {
  for_each = var.functions

  name                      = each.value.dlq_name
  message_retention_seconds = 1209600 # 14 days: the maximum, to give time to investigate
  sqs_managed_sse_enabled   = true
}

# The one-off schedules the bot creates at run time (reminders, each an event for the bus) dead-letter here
# once the Scheduler's retries are spent. The Scheduler sends with the schedules' role (modules/events), so
# the queue needs no resource policy.
resource "aws_sqs_queue" "scheduler" {
  name                      = var.scheduler_dlq_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# EventBridge may send a rule's undeliverable events here, from this deployment's bus only.
data "aws_iam_policy_document" "queue" {
  for_each = var.functions

  statement {
    sid       = "EventBridgeRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${var.partition}:events:${var.region}:${var.account_id}:rule/${var.bus_name}/*"]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  for_each = var.functions

  queue_url = aws_sqs_queue.this[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# Lambda sends the failure record with the function's own role.
resource "aws_iam_role_policy" "destination" {
  for_each = var.functions

  name = "dead-letters"
  role = each.value.role_name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "OnFailureDestination", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.this[each.key].arn }]
  })
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = var.functions

  function_name                = each.value.function_name
  qualifier                    = "live" # callers invoke the alias, and the configuration is per qualifier
  maximum_retry_attempts       = each.value.retries
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.this[each.key].arn
    }
  }

  # Lambda checks the role may send to the destination when the configuration is created.
  depends_on = [aws_iam_role_policy.destination]
}
