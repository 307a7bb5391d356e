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
  alarms = var.enabled ? merge(
    { for fn in var.function_names : "lambda-errors-${fn}" => {
      namespace   = "AWS/Lambda", metric = "Errors", dimensions = { FunctionName = fn }
      description = "Function ${fn} raised errors."
    } },
    { for fn in var.function_names : "lambda-throttles-${fn}" => {
      namespace   = "AWS/Lambda", metric = "Throttles", dimensions = { FunctionName = fn }
      description = "Function ${fn} was throttled."
    } },
    { for q in var.dlq_names : "dlq-depth-${q}" => {
      namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", dimensions = { QueueName = q }
      description = "Messages are waiting in dead-letter queue ${q}."
    } },
    { for k, arn in var.state_machine_arns : "sfn-failed-${replace(k, "_", "-")}" => {
      namespace   = "AWS/States", metric = "ExecutionsFailed", dimensions = { StateMachineArn = arn }
      description = "Executions of state machine ${k} failed."
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
  ) : {}
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

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.dashboard_name
  dashboard_body = jsonencode({
    widgets = [
      for i, w in [
        { title = "Lambda invocations", metrics = [for fn in var.function_names : ["AWS/Lambda", "Invocations", "FunctionName", fn]] },
        { title = "Lambda errors and throttles", metrics = concat(
          [for fn in var.function_names : ["AWS/Lambda", "Errors", "FunctionName", fn]],
          [for fn in var.function_names : ["AWS/Lambda", "Throttles", "FunctionName", fn]],
        ) },
        { title = "Lambda duration (p95)", metrics = [for fn in var.function_names : ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = "p95" }]] },
        { title = "State machine executions", metrics = concat(
          [for arn in values(var.state_machine_arns) : ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", arn]],
          [for arn in values(var.state_machine_arns) : ["AWS/States", "ExecutionsFailed", "StateMachineArn", arn]],
        ) },
        { title = "Dead-letter queues", metrics = [for q in var.dlq_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q]] },
        { title = "DynamoDB throttles", metrics = concat(
          [for t in var.table_names : ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", t]],
          [for t in var.table_names : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t]],
        ) },
        ] : {
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
      } if length(w.metrics) > 0
    ]
  })
}
