# SQS work queues, each with a dead-letter queue: 7-day retention, a message goes to the DLQ after the
# consumer's max_receive_count failed receives, visibility timeout from the catalog (six times the
# consumer's timeout), and the consumer function wired through an event source mapping that reports
# partial batch failures, in the consumer's batch size and maximum concurrency.

resource "aws_sqs_queue" "dlq" {
  for_each = var.queues

  name                              = each.value.dlq_name
  message_retention_seconds         = 1209600 # 14 days: the maximum, to give time to investigate
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "this" {
  for_each = var.queues

  name                              = each.value.name
  visibility_timeout_seconds        = each.value.visibility_timeout_s
  message_retention_seconds         = 604800 # 7 days
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = var.queues

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.queues

  event_source_arn        = aws_sqs_queue.this[each.key].arn
  function_name           = var.consumer_function_arns[each.value.consumer]
  batch_size              = each.value.batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = each.value.concurrency
  }
}
