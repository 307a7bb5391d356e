output "queue_urls" {
  description = "Queue URLs by logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.id }
}

output "dlq_names" {
  description = "Dead-letter queue names by logical name (for the DLQ depth alarms)."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.name }
}
