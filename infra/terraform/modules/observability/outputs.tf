output "topic_arn" {
  description = "ARN of the alarm topic."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Dashboard name."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of the alarms created."
  value       = concat([for a in aws_cloudwatch_metric_alarm.this : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.error_rate : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.timeout_rate : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.agent_latency : a.alarm_name], aws_cloudwatch_metric_alarm.lazy_failures[*].alarm_name)
}

output "budget_name" {
  description = "The monthly budget's name (null without monthly_budget_usd)."
  value       = try(aws_budgets_budget.monthly[0].name, null)
}
