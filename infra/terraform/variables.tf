# Inputs of the deployment. examples/dev.tfvars and examples/prod.tfvars set them per environment.

variable "project" {
  description = "Project name: the first part of every resource name (config: project)."
  type        = string
  default     = "crewbot"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.project))
    error_message = "project must be lower-case letters, digits and '-', starting with a letter, at most 20 (as bot/config/models.py)."
  }
}

variable "environment" {
  description = "Environment: dev, staging or prod (config/environments/<environment>.yaml)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "owner" {
  description = "Owner tag (config: tags.owner)."
  type        = string
  default     = "platform-team"
}

variable "cost_center" {
  description = "CostCenter tag (config: tags.cost_center)."
  type        = string
  default     = "engineering"
}

variable "custom_tags" {
  description = "More tags on every resource (config: tags.custom); may not redefine the standard ones."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.custom_tags), ["Project", "Environment", "Owner", "CostCenter", "ManagedBy"])) == 0
    error_message = "custom_tags may not redefine Project, Environment, Owner, CostCenter or ManagedBy."
  }
}

# -- feature flags (config: features) ---------------------------------------------------------------

variable "xray" {
  description = "X-Ray tracing on functions and state machines."
  type        = bool
  default     = false
}

variable "alarms" {
  description = "CloudWatch alarms to the SNS topic."
  type        = bool
  default     = true
}

variable "essential_alarms" {
  description = "With alarms = false, still create a small, cheap alarm set (dead letters, failed executions, the Slack function's error rate, agents' p95 latency): a few USD a month."
  type        = bool
  default     = false
}

variable "vpc" {
  description = "Run the functions in your VPC: private subnets (with a NAT or VPC endpoints for AWS and Slack) and security groups. null runs them outside a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

# -- sizing -----------------------------------------------------------------------------------------

variable "architecture" {
  description = "Lambda architecture: arm64 or x86_64 (build the layer with `make package ARCH=...` to match)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "function_sizing" {
  description = "Per-function overrides of memory (MB), timeout (s) and reserved concurrency (-1: unreserved), by logical name."
  type = map(object({
    memory_mb            = optional(number)
    timeout_s            = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}
}

variable "log_retention_days" {
  description = "Days logs are kept (functions, API access logs, state machine executions)."
  type        = number
  default     = 30
}

# -- data and operations ------------------------------------------------------------------------------

variable "protect_data" {
  description = "Deletion protection on tables and no force_destroy on buckets, so `terraform destroy` keeps the data. Set false only to delete everything."
  type        = bool
  default     = true
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0: deleted at once)."
  type        = number
  default     = 30
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "package_dir" {
  description = "Where `make package` wrote crewbot.zip and dependencies-<architecture>.zip."
  type        = string
  default     = null
}

# -- project phases ----------------------------------------------------------------------------------

variable "phase_runner" {
  description = "Where a project phase's Swarm runs: \"lambda\" inline in the RunProjectPhase function (at most 15 minutes), or \"ecs\" in a Fargate task (modules/phase_runner; build and push the image first, README: Lambda or Fargate)."
  type        = string
  default     = "lambda"

  validation {
    condition     = contains(["lambda", "ecs"], var.phase_runner)
    error_message = "phase_runner must be lambda or ecs."
  }
}

variable "phase_runner_task" {
  description = "The Fargate phase runner (phase_runner = \"ecs\"): image tag to run, CPU units and memory (a valid Fargate pair; default 1024 and 4096, bot/deploy/catalog.py TASKS), and its network. Subnets and security groups default to var.vpc's; a public IP only when assign_public_ip is true (public subnets without a NAT)."
  type = object({
    image_tag          = optional(string)
    cpu                = optional(number)
    memory_mb          = optional(number)
    subnet_ids         = optional(list(string))
    security_group_ids = optional(list(string))
    assign_public_ip   = optional(bool, false)
  })
  default = {}
}

variable "catalog_file" {
  description = "The deploy catalog `make package` writes (crewbot deploy catalog --output); default: catalog.json in package_dir."
  type        = string
  default     = null
}

variable "monthly_budget_usd" {
  description = "An AWS Budgets cost budget per month in USD for this project's resources (its Project tag); alarm_emails get mail at 80 % forecast and 100 % actual. null: no budget."
  type        = number
  default     = null
}

variable "cloudtrail_data_events" {
  description = "Record S3 object and Lambda invoke data events for this deployment's buckets and functions in a CloudTrail Lake event data store (billed per event)."
  type        = bool
  default     = false
}

variable "cloudtrail_retention_days" {
  description = "Days the CloudTrail data events are kept (7 to 2557)."
  type        = number
  default     = 90
}

# -- AWS WAF in front of the Slack API (waf.tf) -----------------------------------------------------

variable "waf_rate_limit" {
  description = "Put the Slack API behind CloudFront with an AWS WAF web ACL: the most requests one IP may send in 5 minutes (at least 10; Slack sends from few addresses, so allow the workspace's busiest 5 minutes). Slack's request URL becomes the distribution's. null or 0: no CloudFront, no WAF."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.waf_rate_limit, 0) == 0 || (coalesce(var.waf_rate_limit, 0) >= 10 && coalesce(var.waf_rate_limit, 0) <= 2000000000 && floor(coalesce(var.waf_rate_limit, 0)) == coalesce(var.waf_rate_limit, 0))
    error_message = "waf_rate_limit must be null or 0 (off), or a whole number of requests from 10 to 2000000000 per 5 minutes."
  }
}

variable "waf_domain" {
  description = "With waf_rate_limit: serve the distribution under your own host name (point a CNAME or alias record at the output waf.domain_name) with an ACM certificate for it in us-east-1, so viewers must use TLS 1.2 or later. null: the distribution's *.cloudfront.net name."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null

  validation {
    condition     = var.waf_domain == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", var.waf_domain.certificate_arn))
    error_message = "waf_domain.certificate_arn must be an ACM certificate in us-east-1 (CloudFront reads certificates only from there)."
  }
}
