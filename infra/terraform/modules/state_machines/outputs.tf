output "arns" {
  description = "State machine ARNs by logical name (unqualified: what IAM policies and metrics name)."
  value       = { for k, m in aws_sfn_state_machine.this : k => m.arn }
}

output "live_arns" {
  description = "The `live` alias ARN of each state machine by logical name: what starts executions targets."
  value       = { for k, a in aws_sfn_alias.live : k => a.arn }
}

output "version_arns" {
  description = "The version each state machine's last apply published, by logical name."
  value       = { for k, m in aws_sfn_state_machine.this : k => m.state_machine_version_arn }
}
