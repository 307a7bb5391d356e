output "endpoint" {
  description = "Base URL of the API."
  value       = var.api.api_endpoint
}

output "slack_request_url" {
  description = "The Request URL for events, slash commands and interactivity (crewbot manifest --request-url)."
  value       = "${var.api.api_endpoint}/slack/events"
}

output "oauth_redirect_url_template" {
  description = "OAuth redirect URL; replace {provider} with google or microsoft."
  value       = "${var.api.api_endpoint}/oauth/{provider}/callback"
}

output "api_id" {
  description = "API id (for the dashboard and alarms)."
  value       = var.api.id
}
