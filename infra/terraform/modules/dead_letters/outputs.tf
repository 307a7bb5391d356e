output "arns" {
  description = "Dead-letter queue ARNs by function logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.arn }
}

output "names" {
  description = "Dead-letter queue names by function logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.name }
}

output "scheduler_dlq_arn" {
  description = "Dead-letter queue of the one-off schedules (reminders) the bot creates."
  value       = aws_sqs_queue.scheduler.arn
}

output "scheduler_dlq_name" {
  description = "Name of the one-off schedules' dead-letter queue."
  value       = aws_sqs_queue.scheduler.name
}
