# Alarms to an SNS topic (Lambda errors and throttles, DLQ depth, state-machine failures, DynamoDB
# throttles) and one dashboard of the same signals. Alarms follow the `alarms` feature flag.

resource "aws_sns_topic" "alarms" {
  name              = var.topic_name
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  # `enabled` creates every alarm; `essential_alarms` alone a small set (dead letters, failed executions,
  # the Slack function's error rate and lazy-listener failures, agents' p95 latency) that costs a few
  # dollars a month in dev.
  essential = var.enabled || var.essential_alarms
  alarms = merge(
    var.enabled ? merge(
      { for fn in var.function_names : "lambda-errors-${fn}" => {
        namespace   = "AWS/Lambda", metric = "Errors", dimensions = { FunctionName = fn }
        description = "Function ${fn} raised errors."
      } },
      { for fn in var.function_names : "lambda-throttles-${fn}" => {
        namespace   = "AWS/Lambda", metric = "Throttles", dimensions = { FunctionName = fn }
        description = "Function ${fn} was throttled."
      } },
      { for k, arn in var.state_machine_arns : "sfn-timed-out-${replace(k, "_", "-")}" => {
        namespace   = "AWS/States", metric = "ExecutionsTimedOut", dimensions = { StateMachineArn = arn }
        description = "Executions of state machine ${k} timed out."
      } },
      { for t in var.table_names : "dynamodb-read-throttles-${t}" => {
        namespace   = "AWS/DynamoDB", metric = "ReadThrottleEvents", dimensions = { TableName = t }
        description = "Reads of table ${t} were throttled."
      } },
      { for t in var.table_names : "dynamodb-write-throttles-${t}" => {
        namespace   = "AWS/DynamoDB", metric = "WriteThrottleEvents", dimensions = { TableName = t }
        description = "Writes to table ${t} were throttled."
      } },
    ) : {},
    local.essential ? merge(
      { for q in var.dlq_names : "dlq-depth-${q}" => {
        namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", dimensions = { QueueName = q }
        description = "Messages are waiting in dead-letter queue ${q}."
      } },
      { for k, arn in var.state_machine_arns : "sfn-failed-${replace(k, "_", "-")}" => {
        namespace   = "AWS/States", metric = "ExecutionsFailed", dimensions = { StateMachineArn = arn }
        description = "Executions of state machine ${k} failed."
      } },
    ) : {},
  )
  error_rate_functions = var.enabled ? toset(var.function_names) : (
    local.essential && var.slack_function != null ? toset([var.slack_function]) : toset([])
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.namespace == "AWS/SQS" ? "Maximum" : "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

locals {
  # The agents' EMF metrics carry the dimensions `agent` and `service` (the project).
  agent_metric = { for a in var.agents : a => ["agent", a, "service", var.agents_namespace] }
  # The schema of the per-agent-and-model series, for SEARCH expressions.
  by_model = "{\"${var.agents_namespace}\",agent,model,service}"
  sfn      = values(var.state_machine_arns)
  fn_widgets = [for fn in compact([var.slack_function, var.calendar_function]) : {
    title = fn == var.slack_function ? "Slack function (${fn})" : "Calendar monitor (${fn})"
    metrics = [
      ["AWS/Lambda", "Invocations", "FunctionName", fn],
      ["AWS/Lambda", "Errors", "FunctionName", fn],
      ["AWS/Lambda", "Throttles", "FunctionName", fn],
      ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = "p95", yAxis = "right" }],
    ]
  }]
  widgets = concat(
    [
      { title = "Agent turns", metrics = [for a, d in local.agent_metric : concat([var.agents_namespace, "Latency"], d, [{ stat = "SampleCount", label = a }])] },
      { title = "Agent latency p50 / p95 (ms)", metrics = concat(
        [for a, d in local.agent_metric : concat([var.agents_namespace, "Latency"], d, [{ stat = "p50", label = "${a} p50" }])],
        [for a, d in local.agent_metric : concat([var.agents_namespace, "Latency"], d, [{ stat = "p95", label = "${a} p95" }])],
      ) },
      { title = "Agent tokens (input + output)", metrics = concat(
        [for a, d in local.agent_metric : concat([var.agents_namespace, "InputTokens"], d, [{ id = "in_${replace(a, "-", "_")}", label = "${a} in" }])],
        [for a, d in local.agent_metric : concat([var.agents_namespace, "OutputTokens"], d, [{ id = "out_${replace(a, "-", "_")}", label = "${a} out" }])],
      ) },
      { title = "Agent estimated cost (USD, from models.prices)", metrics = [for a, d in local.agent_metric : concat([var.agents_namespace, "EstimatedCostUSD"], d, [{ label = a }])] },
      { title = "Agent tool calls and errors", metrics = concat(
        [for a, d in local.agent_metric : concat([var.agents_namespace, "ToolCalls"], d, [{ label = "${a} calls" }])],
        [for a, d in local.agent_metric : concat([var.agents_namespace, "ToolErrors"], d, [{ label = "${a} errors" }])],
      ) },
      # Per agent and model: SEARCH finds every model that served turns, so new models need no change here.
      { title = "Turns per agent and model", metrics = [[{ id = "turns_model", expression = "SEARCH('${local.by_model} MetricName=\"Latency\"', 'SampleCount', 300)" }]] },
      { title = "Latency p95 per agent and model (ms)", metrics = [[{ id = "p95_model", expression = "SEARCH('${local.by_model} MetricName=\"Latency\"', 'p95', 300)" }]] },
      { title = "Tokens per agent and model (input + output)", metrics = [[{ id = "tokens_model", expression = "SEARCH('${local.by_model} (MetricName=\"InputTokens\" OR MetricName=\"OutputTokens\")', 'Sum', 300)" }]] },
      { title = "Estimated cost per agent and model (USD)", metrics = [[{ id = "cost_model", expression = "SEARCH('${local.by_model} MetricName=\"EstimatedCostUSD\"', 'Sum', 300)" }]] },
      { title = "Turns on models without a price (cost not estimated)", metrics = [[{ id = "unpriced", expression = "SEARCH('${local.by_model} MetricName=\"UnpricedTurns\"', 'Sum', 300)" }]] },
      { title = "Workflow executions by status", metrics = [
        for pair in setproduct(local.sfn, ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) :
        ["AWS/States", pair[1], "StateMachineArn", pair[0]]
      ] },
      { title = "Workflow duration p95 (ms)", metrics = [for arn in local.sfn : ["AWS/States", "ExecutionTime", "StateMachineArn", arn, { stat = "p95" }]] },
      # Published every 5 minutes by the operations plugin's human-waits-gauge schedule (per task: SEARCH).
      { title = "Workflow steps waiting for a person", metrics = [
        [var.agents_namespace, "HumanStepsWaiting", "service", var.agents_namespace, { stat = "Maximum", label = "all" }],
        [{ id = "waiting_task", expression = "SEARCH('{\"${var.agents_namespace}\",service,task} MetricName=\"HumanStepsWaiting\"', 'Maximum', 300)" }],
      ] },
      { title = "Oldest step waiting for a person (hours)", metrics = [
        [var.agents_namespace, "OldestHumanStepAge", "service", var.agents_namespace, { stat = "Maximum", id = "oldest", visible = false }],
        [{ id = "oldest_h", expression = "oldest / 3600", label = "oldest wait" }],
      ] },
    ],
    local.fn_widgets,
    [for w in [
      { title = "Slack ack latency (ms): in the handler, and since API Gateway received the request", metrics = [
        [var.agents_namespace, "AckLatency", "service", var.agents_namespace, { stat = "p50", label = "handler p50" }],
        [var.agents_namespace, "AckLatency", "service", var.agents_namespace, { stat = "p95", label = "handler p95" }],
        [var.agents_namespace, "AckLatency", "service", var.agents_namespace, { stat = "p99", label = "handler p99" }],
        [var.agents_namespace, "AckLatencyFromGateway", "service", var.agents_namespace, { stat = "p95", label = "from gateway p95" }],
        [var.agents_namespace, "AckLatencyFromGateway", "service", var.agents_namespace, { stat = "Maximum", label = "from gateway max" }],
      ] },
      { title = "Slack ack latency p95, cold vs warm containers (ms)", metrics = [
        for pair in setproduct(["AckLatency", "AckLatencyFromGateway"], ["cold", "warm"]) :
        [var.agents_namespace, pair[0], "service", var.agents_namespace, "start", pair[1], { stat = "p95", label = "${pair[0]} ${pair[1]}" }]
      ] },
      { title = "Slack lazy listeners: runs and failures", metrics = [
        [var.agents_namespace, "LazyRuns", "service", var.agents_namespace, { label = "runs" }],
        [var.agents_namespace, "LazyFailures", "service", var.agents_namespace, { label = "failures" }],
        [var.agents_namespace, "LazyDuration", "service", var.agents_namespace, { stat = "p95", label = "duration p95 (ms)", yAxis = "right" }],
      ] },
    ] : w if var.slack_function != null],
    [
      { title = "Queue depth", metrics = [for q in var.queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { stat = "Maximum" }]] },
      { title = "Oldest message age (s)", metrics = [for q in var.queue_names : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q, { stat = "Maximum" }]] },
      { title = "Dead-letter queues", metrics = [for q in var.dlq_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { stat = "Maximum" }]] },
      { title = "Lambda invocations", metrics = [for fn in var.function_names : ["AWS/Lambda", "Invocations", "FunctionName", fn]] },
      { title = "Lambda errors and throttles", metrics = concat(
        [for fn in var.function_names : ["AWS/Lambda", "Errors", "FunctionName", fn]],
        [for fn in var.function_names : ["AWS/Lambda", "Throttles", "FunctionName", fn]],
      ) },
      { title = "Lambda duration (p95)", metrics = [for fn in var.function_names : ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = "p95" }]] },
      { title = "DynamoDB throttles", metrics = concat(
        [for t in var.table_names : ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", t]],
        [for t in var.table_names : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t]],
      ) },
    ],
  )
  shown = [for w in local.widgets : w if length(w.metrics) > 0]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.dashboard_name
  dashboard_body = jsonencode({
    widgets = [
      for i, w in local.shown : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = var.region
          stat    = "Sum"
          period  = 300
          view    = "timeSeries"
          metrics = w.metrics
        }
      }
    ]
  })
}

# An agent's turns got slow: p95 latency over 15 minutes above agent_p95_latency_ms.
resource "aws_cloudwatch_metric_alarm" "agent_latency" {
  for_each = local.essential ? toset(var.agents) : toset([])

  alarm_name          = "${var.name_prefix}-agent-p95-latency-${each.key}"
  alarm_description   = "Agent ${each.key}: p95 turn latency above ${var.agent_p95_latency_ms} ms."
  namespace           = var.agents_namespace
  metric_name         = "Latency"
  dimensions          = { agent = each.key, service = var.agents_namespace }
  extended_statistic  = "p95"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.agent_p95_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# A lazy listener failed (the user saw an error reference): Slack work that did not happen.
resource "aws_cloudwatch_metric_alarm" "lazy_failures" {
  count = local.essential && var.slack_function != null ? 1 : 0

  alarm_name          = "${var.name_prefix}-slack-lazy-failures"
  alarm_description   = "Slack lazy listeners failed (LazyFailures > 0 in 5 minutes); the log has each error reference."
  namespace           = var.agents_namespace
  metric_name         = "LazyFailures"
  dimensions          = { service = var.agents_namespace }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# Error rate above 5 % of invocations (a few errors among many calls are retried; a rate means a defect).
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = local.error_rate_functions

  alarm_name          = "${var.name_prefix}-lambda-error-rate-${each.key}"
  alarm_description   = "More than 5 % of the invocations of ${each.key} failed."
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "Error rate (%)"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = each.key }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = each.key }
      period      = 300
      stat        = "Sum"
    }
  }
}

# The monthly cost budget, from configuration (monthly_budget_usd): mail at 80 % forecast and 100 % actual.
resource "aws_budgets_budget" "monthly" {
  count = var.monthly_budget_usd == null ? 0 : 1

  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Project$%s", var.project_tag)]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = var.alarm_emails
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = var.alarm_emails
  }
}

# Lambda reports no timeout metric: count "Task timed out" lines in each function's log group, and alarm
# when more than 1 % of its invocations time out.
resource "aws_cloudwatch_log_metric_filter" "timeouts" {
  for_each = var.enabled ? toset(var.function_names) : toset([])

  name           = "${each.key}-timeouts"
  log_group_name = "/aws/lambda/${each.key}"
  pattern        = "\"Task timed out\""

  metric_transformation {
    name          = "Timeouts-${each.key}"
    namespace     = "${var.metrics_namespace}/Lambda"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "timeout_rate" {
  for_each = var.enabled ? toset(var.function_names) : toset([])

  alarm_name          = "${var.name_prefix}-lambda-timeout-rate-${each.key}"
  alarm_description   = "More than 1 % of the invocations of ${each.key} timed out."
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(invocations > 0, 100 * timeouts / invocations, 0)"
    label       = "Timeout rate (%)"
    return_data = true
  }
  metric_query {
    id = "timeouts"
    metric {
      namespace   = aws_cloudwatch_log_metric_filter.timeouts[each.key].metric_transformation[0].namespace
      metric_name = aws_cloudwatch_log_metric_filter.timeouts[each.key].metric_transformation[0].name
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = each.key }
      period      = 300
      stat        = "Sum"
    }
  }
}
