output "arns" {
  description = "Dead-letter queue ARNs by function logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.arn }
}

output "names" {
  description = "Dead-letter queue names by function logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.name }
}
