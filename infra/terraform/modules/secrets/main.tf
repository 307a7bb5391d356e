# The deployment's customer managed KMS key (rotated yearly) and the Secrets Manager entries the bot
# reads. Terraform creates the secrets empty: their values are set outside Terraform (README), so
# they never sit in the state file.

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; administration stays with the account root (AWS default key policy)
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only
  #checkov:skip=CKV_AWS_109:The account root administers its own key (AWS default key policy); use is granted per role
  # Key administration and use stay with the account's IAM policies (each function's role grants
  # kms:Decrypt / kms:GenerateDataKey on this key only).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.account_id}:root"]
    }
  }

  # DynamoDB uses the key on behalf of whoever reads or writes a table (AWS's documented key policy
  # for DynamoDB): principals of this account, only through DynamoDB, so table access stays governed
  # by the functions' DynamoDB statements.
  statement {
    sid       = "DynamoDbTables"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [var.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }

  # CloudWatch Logs encrypts the log groups with the key, scoped to this account's log groups.
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:*"]
    }
  }

  # CloudWatch alarms publish to the encrypted SNS topic; EventBridge and Scheduler deliver to
  # encrypted SQS queues.
  statement {
    sid       = "ServicePublishers"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: tables, buckets, queues, logs, secrets"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = var.kms_alias
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Slack tokens and OAuth client secrets are rotated at Slack/Google/Microsoft and pasted in; there is no rotation Lambda to run
  for_each = var.secrets

  name                    = each.value.path
  description             = each.value.description
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_days
}
