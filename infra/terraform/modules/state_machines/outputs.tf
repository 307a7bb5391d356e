output "arns" {
  description = "State machine ARNs by logical name."
  value       = { for k, m in aws_sfn_state_machine.this : k => m.arn }
}
