variable "name_prefix" {
  description = "<project>-<environment>."
  type        = string
}

variable "enabled" {
  description = "Create the alarms (feature flag `alarms`); the topic and dashboard always exist."
  type        = bool
}

variable "topic_name" {
  description = "SNS topic the alarms notify."
  type        = string
}

variable "dashboard_name" {
  description = "CloudWatch dashboard name."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each must confirm by email)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Key the topic is encrypted with."
  type        = string
}

variable "region" {
  description = "AWS region (dashboard widgets)."
  type        = string
}

variable "function_names" {
  description = "Lambda function names (known at plan time: from the catalog)."
  type        = list(string)
}

variable "dlq_names" {
  description = "Dead-letter queue names."
  type        = list(string)
}

variable "state_machine_arns" {
  description = "State machine ARNs by logical name (the keys must be known at plan time)."
  type        = map(string)
}

variable "table_names" {
  description = "DynamoDB table names."
  type        = list(string)
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD for resources tagged with this project (null: no budget)."
  type        = number
  default     = null
}

variable "project_tag" {
  description = "Value of the Project tag the budget filters on."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of Crewbot's own metrics (the timeout counts go under <namespace>/Lambda)."
  type        = string
}

variable "essential_alarms" {
  description = "When `enabled` is false, still create a small, cheap set: dead-letter depth, state machine failures, the Slack function's error rate and lazy-listener failures, and the agents' p95 latency."
  type        = bool
  default     = false
}

variable "agents" {
  description = "Registered agent names (the `agent` dimension of the agents' metrics)."
  type        = list(string)
  default     = []
}

variable "agents_namespace" {
  description = "Namespace of the agents' EMF metrics (the project name; their `service` dimension is the same)."
  type        = string
}

variable "agent_p95_latency_ms" {
  description = "Alarm when an agent's turn latency p95 over 15 minutes exceeds this (milliseconds)."
  type        = number
  default     = 60000
}

variable "slack_function" {
  description = "Name of the Slack entry point function (null: not deployed)."
  type        = string
  default     = null
}

variable "calendar_function" {
  description = "Name of the calendar monitor's schedule function (null: not deployed)."
  type        = string
  default     = null
}

variable "queue_names" {
  description = "Work queue names (not their dead-letter queues)."
  type        = list(string)
  default     = []
}
