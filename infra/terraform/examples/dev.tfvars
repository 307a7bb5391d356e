# Development: small, cheap, alarms off (config/environments/dev.yaml), logs kept a week.
environment = "dev"
region      = "us-east-1"
owner       = "platform-team"
cost_center = "engineering"
custom_tags = {}

xray             = false
alarms           = false
essential_alarms = true # a few USD a month: dead letters, failed executions, Slack errors, agent latency
architecture     = "arm64"

log_retention_days          = 7
secret_recovery_window_days = 0 # a deleted dev secret goes at once, so the name can be reused

# Data is kept on `terraform destroy` unless you set this to false first (README: teardown).
protect_data = true

function_sizing = {}
alarm_emails    = []

# Project phases run inline in the RunProjectPhase function (at most 15 minutes each).
phase_runner = "lambda"
