output "bus_name" {
  description = "Event bus name."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "Event bus ARN."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "scheduler_role_arn" {
  description = "Role the reminders created at run time use."
  value       = aws_iam_role.scheduler.arn
}

output "schedule_group_name" {
  description = "Scheduler group of the reminders."
  value       = aws_scheduler_schedule_group.reminders.name
}

output "schedule_names" {
  description = "The fixed schedules' names in the Scheduler, by the plugin Schedule's name."
  value       = { for k, s in aws_scheduler_schedule.this : k => s.name }
}
