# `terraform test` against a mocked AWS provider: plans and "applies" the whole deployment without an
# account, so wiring mistakes (types, counts unknown at plan time, cycles) show up before a real plan.
# Needs the provider plugin (terraform init) and the zips of `make package`; tests/infra runs it when a
# provider mirror is available (TF_PROVIDER_MIRROR, default /opt/tf-plugins).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:mock"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock/invocations"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:mock:live"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock:live/invocations"
    }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:layer:mock:1" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:event-bus/mock" }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123"
      api_endpoint  = "https://abc123.execute-api.us-east-1.amazonaws.com"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:us-east-1:123456789012:repository/mock"
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mock"
    }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/mock" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn                  = "arn:aws:ecs:us-east-1:123456789012:task-definition/mock:1"
      arn_without_revision = "arn:aws:ecs:us-east-1:123456789012:task-definition/mock"
    }
  }
}

variables {
  environment = "dev"
}

# Development's cheap alarm set: no per-function alarm but the Slack function's error rate, dead letters,
# failed executions and the agents' p95 latency.
run "plan" {
  command = plan

  variables {
    alarms           = false
    essential_alarms = true
  }

  assert {
    condition     = length(module.observability.alarm_names) > 0
    error_message = "the essential alarm set is empty"
  }
  assert {
    condition     = alltrue([for n in module.observability.alarm_names : can(regex("-(dlq-depth|sfn-failed|lambda-error-rate-crewbot-dev-bot$|agent-p95-latency|slack-lazy-failures$)", n))])
    error_message = "more than the essential alarms in dev: ${jsonencode(module.observability.alarm_names)}"
  }
  assert {
    condition     = length([for n in module.observability.alarm_names : n if can(regex("-agent-p95-latency-", n))]) > 0
    error_message = "no per-agent latency alarm: ${jsonencode(module.observability.alarm_names)}"
  }
  assert {
    condition     = contains(module.observability.alarm_names, "crewbot-dev-slack-lazy-failures")
    error_message = "no alarm on failed Slack lazy listeners: ${jsonencode(module.observability.alarm_names)}"
  }
  assert {
    condition     = length(aws_cloudtrail_event_data_store.data_events) == 0
    error_message = "CloudTrail data events are off unless asked for"
  }
}

run "apply" {
  command = apply

  assert {
    condition     = output.slack_request_url == "https://abc123.execute-api.us-east-1.amazonaws.com/slack/events"
    error_message = "request URL: ${output.slack_request_url}"
  }
  assert {
    condition     = length(module.observability.alarm_names) > 0
    error_message = "no alarms"
  }
  assert {
    condition     = alltrue([for fn in ["bot", "event_meeting_prep_start", "schedule_calendar_monitor"] : contains(keys(module.dead_letters.names), fn)])
    error_message = "asynchronously invoked functions need a dead-letter queue: ${jsonencode(module.dead_letters.names)}"
  }
  assert {
    condition     = !contains(keys(module.dead_letters.names), "task_load_meeting")
    error_message = "workflow tasks are invoked synchronously: no async dead-letter queue"
  }
}

# Production as examples/prod.tfvars sets it: in a VPC, with the Fargate phase runner (applied, so the
# runner's outputs are known).
run "prod_in_a_vpc_on_x86" {
  command = apply

  variables {
    environment            = "prod"
    xray                   = true
    architecture           = "x86_64"
    function_sizing        = { bot = { memory_mb = 1024, reserved_concurrency = 20 } }
    vpc                    = { subnet_ids = ["subnet-0123"], security_group_ids = ["sg-0123"] }
    phase_runner           = "ecs"
    phase_runner_task      = { image_tag = "v1", cpu = 2048, memory_mb = 8192 }
    monthly_budget_usd     = 300
    alarms                 = true
    cloudtrail_data_events = true
  }

  assert {
    condition = contains(flatten([
      for s in aws_cloudtrail_event_data_store.data_events[0].advanced_event_selector : [for f in s.field_selector : f.starts_with == null ? [] : f.starts_with]
    ]), "arn:aws:lambda:us-east-1:123456789012:function:crewbot-prod-bot")
    error_message = "the data events do not cover the bot's invocations"
  }

  assert {
    condition     = module.observability.budget_name == "crewbot-prod-monthly"
    error_message = "the budget from configuration is missing"
  }
  assert {
    condition     = contains(module.observability.alarm_names, "crewbot-prod-lambda-error-rate-crewbot-prod-bot")
    error_message = "no error-rate alarm for the bot"
  }
  assert {
    condition     = contains(module.observability.alarm_names, "crewbot-prod-lambda-timeout-rate-crewbot-prod-bot")
    error_message = "no timeout-rate alarm for the bot"
  }

  assert {
    condition     = module.function["bot"].name == "crewbot-prod-bot"
    error_message = "unexpected function name"
  }
  assert {
    condition     = output.phase_runner.cluster == "crewbot-prod-phase-runner" && output.phase_runner.task_definition == "crewbot-prod-phase-runner"
    error_message = "phase runner: ${jsonencode(output.phase_runner)}"
  }
  assert {
    condition     = module.catalog.tasks["phase_runner"].deployed && module.catalog.tasks["phase_runner"].network.subnet_ids == tolist(["subnet-0123"])
    error_message = "the phase runner should use the VPC's subnets"
  }
  assert {
    condition     = contains([for s in module.catalog.functions["task_run_project_phase"].statements : s.sid], "TaskRunPassRole")
    error_message = "RunProjectPhase may not pass the task's roles"
  }
}
