# One Standard state machine per workflows/*.asl.json, rendered with templatefile so each
# ${<Task>FunctionArn} placeholder becomes the task function's ARN. Full execution logging and
# X-Ray tracing; the role may do exactly what the definitions' Task resources need (catalog).
# Every definition change publishes a version, and the `live` alias routes all executions to the
# newest one: whatever starts executions targets the alias, so `crewbot deploy rollback` can move it
# back to an earlier version (as it moves the functions' `live` aliases).

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  count = length(var.workflows) > 0 ? 1 : 0

  name               = "${var.name_prefix}-states"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  # Vended log delivery and X-Ray: these actions support no resource-level permissions.
  statement {
    sid = "LogDeliveryAndTracing"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  count = length(var.workflows) > 0 ? 1 : 0

  name   = "least-privilege"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days: 365 days in prod (examples/prod.tfvars), shorter in dev to save cost
  for_each = var.workflows

  name              = "/aws/vendedlogs/states/${each.value.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:Tracing follows the xray feature flag (on in staging and prod, examples/prod.tfvars)
  for_each = var.workflows

  name       = each.value.name
  type       = "STANDARD"
  role_arn   = aws_iam_role.this[0].arn
  definition = templatefile(each.value.file, var.bindings)
  publish    = true

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this[each.key].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = var.tracing
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_sfn_alias" "live" {
  for_each = var.workflows

  name        = "live"
  description = "What executions run: the newest published version (crewbot deploy rollback moves it)."

  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.this[each.key].state_machine_version_arn
    weight                    = 100
  }
}
