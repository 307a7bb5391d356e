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
    defaults = {
      arn                       = "arn:aws:states:us-east-1:123456789012:stateMachine:mock"
      state_machine_version_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:mock:1"
    }
  }
  mock_resource "aws_sfn_alias" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:mock:live" }
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
  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      id          = "E2MOCKDISTRIB"
      arn         = "arn:aws:cloudfront::123456789012:distribution/E2MOCKDISTRIB"
      domain_name = "d111111abcdef8.cloudfront.net"
    }
  }
}

# CloudFront's web ACL lives in us-east-1 (waf.tf).
mock_provider "aws" {
  alias = "us_east_1"

  mock_resource "aws_wafv2_web_acl" {
    defaults = { arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/crewbot-dev-slack/mock" }
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
  assert {
    condition     = (length(aws_cloudfront_distribution.slack) + length(aws_wafv2_web_acl.slack) + length(terraform_data.origin_secret)) == 0
    error_message = "without waf_rate_limit there is no CloudFront distribution, web ACL or origin secret"
  }
  assert {
    condition     = !contains(keys(nonsensitive(module.function["bot"].environment)), "ORIGIN_VERIFY_SECRET")
    error_message = "without the WAF the bot checks no origin header"
  }
}

run "apply" {
  command = apply

  # Distinct layer ARNs, so the assertions below can tell which layer a function got.
  override_resource {
    target = aws_lambda_layer_version.dependencies
    values = { arn = "arn:aws:lambda:us-east-1:123456789012:layer:crewbot-dev-dependencies:1" }
  }
  override_resource {
    target = aws_lambda_layer_version.slack_dependencies
    values = { arn = "arn:aws:lambda:us-east-1:123456789012:layer:crewbot-dev-slack-dependencies:1" }
  }

  assert {
    condition     = aws_lambda_layer_version.slack_dependencies[0].arn != aws_lambda_layer_version.dependencies[0].arn
    error_message = "the layers' ARNs must differ for the checks below to mean anything"
  }
  assert {
    condition     = module.function["bot"].layers == tolist([aws_lambda_layer_version.slack_dependencies[0].arn])
    error_message = "the Slack function needs the slim layer: ${jsonencode(module.function["bot"].layers)}"
  }
  assert {
    condition = alltrue([
      for name, f in module.function : f.layers == tolist([aws_lambda_layer_version.dependencies[0].arn]) if name != "bot"
    ])
    error_message = "every function but the Slack one needs the full layer"
  }
  assert {
    condition     = contains(keys(module.packages[0].objects), "dependencies-slack-arm64.zip")
    error_message = "the slim layer is not uploaded"
  }

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
    condition     = keys(output.state_machine_aliases) == keys(output.state_machines) && alltrue([for a in values(output.state_machine_aliases) : endswith(a, ":live")])
    error_message = "every state machine needs its live alias: ${jsonencode(output.state_machine_aliases)}"
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

# The Slack API behind CloudFront and AWS WAF: a rate rule with the configured limit, the API as the
# only origin, reached over HTTPS with the origin header the bot function checks; Slack and the OAuth
# providers are given the distribution's URL.
run "waf_in_front_of_the_slack_api" {
  command = apply

  variables {
    waf_rate_limit = 1500
  }

  assert {
    condition = one([
      for r in aws_wafv2_web_acl.slack[0].rule : r.statement[0].rate_based_statement[0]
      if length(r.statement[0].rate_based_statement) > 0
    ]).limit == 1500
    error_message = "the web ACL has no rate-based rule with the configured limit"
  }
  assert {
    condition = one([
      for r in aws_wafv2_web_acl.slack[0].rule : r.statement[0].rate_based_statement[0]
      if length(r.statement[0].rate_based_statement) > 0
    ]).aggregate_key_type == "IP"
    error_message = "the rate limit is not per IP"
  }
  assert {
    condition     = aws_wafv2_web_acl.slack[0].scope == "CLOUDFRONT" && aws_cloudfront_distribution.slack[0].web_acl_id == aws_wafv2_web_acl.slack[0].arn
    error_message = "the distribution does not carry the CLOUDFRONT-scoped web ACL"
  }
  assert {
    condition = toset([for r in aws_wafv2_web_acl.slack[0].rule : r.name]) == toset([
      "rate-per-ip", "bot-routes-only", "AWSManagedRulesAmazonIpReputationList",
      "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet",
    ])
    error_message = "web ACL rules: ${jsonencode([for r in aws_wafv2_web_acl.slack[0].rule : r.name])}"
  }
  assert {
    condition     = [for o in aws_cloudfront_distribution.slack[0].origin : o.domain_name] == ["abc123.execute-api.us-east-1.amazonaws.com"]
    error_message = "the distribution's only origin must be the HTTP API"
  }
  assert {
    condition = alltrue([
      for o in aws_cloudfront_distribution.slack[0].origin :
      o.custom_origin_config[0].origin_protocol_policy == "https-only" && o.custom_origin_config[0].origin_ssl_protocols == toset(["TLSv1.2"])
    ])
    error_message = "CloudFront must reach the API over HTTPS with TLS 1.2"
  }
  assert {
    condition = nonsensitive(
      one(one(aws_cloudfront_distribution.slack[0].origin).custom_header).value == module.function["bot"].environment["ORIGIN_VERIFY_SECRET"]
    ) && length(nonsensitive(module.function["bot"].environment["ORIGIN_VERIFY_SECRET"])) == 64
    error_message = "the bot function must hold the value CloudFront sends in its origin header"
  }
  assert {
    condition     = one(one(aws_cloudfront_distribution.slack[0].origin).custom_header).name == "x-crewbot-origin-verify"
    error_message = "the origin header is not the one bot/slack/origin.py checks"
  }
  assert {
    condition     = !contains(keys(nonsensitive(module.function["schedule_calendar_monitor"].environment)), "ORIGIN_VERIFY_SECRET")
    error_message = "only the bot function answers HTTP requests and holds the origin value"
  }
  assert {
    condition = alltrue([
      for b in concat(aws_cloudfront_distribution.slack[0].ordered_cache_behavior, aws_cloudfront_distribution.slack[0].default_cache_behavior) :
      b.viewer_protocol_policy == "https-only" && b.cache_policy_id == data.aws_cloudfront_cache_policy.disabled[0].id
    ])
    error_message = "every behaviour must be HTTPS only and uncached"
  }
  assert {
    condition = { for b in aws_cloudfront_distribution.slack[0].ordered_cache_behavior : b.path_pattern => contains(b.allowed_methods, "POST") } == {
      "/slack/events" = true, "/oauth/*/callback" = false
    }
    error_message = "POST only on /slack/events, GET on the OAuth callbacks"
  }
  assert {
    condition     = output.slack_request_url == "https://d111111abcdef8.cloudfront.net/slack/events"
    error_message = "request URL with the WAF: ${output.slack_request_url}"
  }
  assert {
    condition     = output.oauth_redirect_url_template == "https://d111111abcdef8.cloudfront.net/oauth/{provider}/callback"
    error_message = "OAuth redirect with the WAF: ${output.oauth_redirect_url_template}"
  }
  assert {
    condition     = nonsensitive(module.function["bot"].environment["CREWBOT_PLUGINS__SETTINGS__MEETING_PREP__OAUTH_BASE_URL"]) == "https://d111111abcdef8.cloudfront.net"
    error_message = "the consent links must come back through CloudFront"
  }
}
