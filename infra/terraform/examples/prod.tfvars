# Production: X-Ray and alarms on (config/environments/prod.yaml), logs kept a year, capacity
# reserved for the Slack entry point so it keeps acknowledging within Slack's 3 seconds.
environment = "prod"
region      = "us-east-1"
owner       = "platform-team"
cost_center = "engineering"
custom_tags = { DataClassification = "internal" }

xray         = true
alarms       = true
architecture = "arm64"

log_retention_days          = 365
secret_recovery_window_days = 30
protect_data                = true

# memory_mb / timeout_s / reserved_concurrency per logical function name (bot/deploy/catalog.py).
function_sizing = {
  bot = { memory_mb = 1024, reserved_concurrency = 20 }
}

alarm_emails = ["oncall@example.com"]

# The functions and the Fargate phase runner in your VPC: private subnets with a NAT gateway or VPC
# endpoints (Slack and AWS APIs). Replace these ids with yours.
vpc = { subnet_ids = ["subnet-0123", "subnet-4567"], security_group_ids = ["sg-0123"] }

# Project phases run as Fargate tasks, without Lambda's 15 minutes (README: Lambda or Fargate). image_tag
# is the tag you pushed with `make image` (default: the commit); subnets and security groups are vpc's.
phase_runner      = "ecs"
phase_runner_task = { image_tag = "0123456789ab", cpu = 1024, memory_mb = 4096 }

# AWS Budgets: mail alarm_emails at 80 % (forecast) and 100 % (actual) of this monthly cost.
monthly_budget_usd = 500
