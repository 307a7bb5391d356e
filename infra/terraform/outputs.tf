output "slack_request_url" {
  description = "Paste into `crewbot manifest --request-url` (events, slash commands and interactivity). With waf_rate_limit, the CloudFront distribution's URL."
  value       = local.waf_enabled ? "${local.slack_public_url}/slack/events" : try(module.slack_api[0].slack_request_url, null)
}

output "oauth_redirect_url_template" {
  description = "Calendar OAuth redirect URL; replace {provider} with google or microsoft. With waf_rate_limit, through the CloudFront distribution."
  value       = local.waf_enabled ? "${local.slack_public_url}/oauth/{provider}/callback" : try(module.slack_api[0].oauth_redirect_url_template, null)
}

output "waf" {
  description = "With waf_rate_limit: the CloudFront distribution in front of the Slack API (its id and domain name, where a waf_domain record points) and the web ACL's ARN; null without."
  value = local.waf_enabled ? {
    distribution_id = aws_cloudfront_distribution.slack[0].id
    domain_name     = aws_cloudfront_distribution.slack[0].domain_name
    web_acl_arn     = aws_wafv2_web_acl.slack[0].arn
  } : null
}

output "secret_paths" {
  description = "Secrets Manager names to fill in (README: setting the secrets)."
  value       = { for k, s in module.catalog.secrets : k => s.path }
}

output "tables" {
  description = "DynamoDB table names by logical name."
  value       = module.data.table_names
}

output "buckets" {
  description = "S3 bucket names by logical name."
  value       = module.data.bucket_names
}

output "functions" {
  description = "Lambda function names by logical name."
  value       = { for k, f in module.function : k => f.name }
}

output "state_machines" {
  description = "State machine ARNs by logical name."
  value       = module.state_machines.arns
}

output "state_machine_aliases" {
  description = "The `live` alias ARN of each state machine by logical name (what starts executions)."
  value       = module.state_machines.live_arns
}

output "queues" {
  description = "Queue URLs by logical name."
  value       = module.queues.queue_urls
}

output "event_bus" {
  description = "Crewbot's EventBridge bus."
  value       = module.events.bus_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.observability.topic_arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${module.observability.dashboard_name}"
}

output "pending_wiring" {
  description = "Events and schedules whose target is not deployed yet (its handler does not exist in this version)."
  value       = local.pending_wiring
}

output "phase_runner" {
  description = "The Fargate phase runner (phase_runner = \"ecs\"): where to push the image, the cluster and the task definition; null with the Lambda runner."
  value = try({
    repository_url  = module.phase_runner[0].repository_url
    cluster         = module.phase_runner[0].cluster_name
    task_definition = module.phase_runner[0].task_definition_family
    log_group       = module.phase_runner[0].log_group_name
  }, null)
}

output "cloudtrail_event_data_store" {
  description = "ARN of the CloudTrail Lake event data store of data events (null unless cloudtrail_data_events)."
  value       = try(aws_cloudtrail_event_data_store.data_events[0].arn, null)
}
