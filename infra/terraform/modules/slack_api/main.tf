# The HTTPS entry point Slack calls: routes of an API Gateway HTTP API in front of the bot function.
# The API itself is created by the root module first, so the functions can be told its URL.
# Bolt serves events, slash commands and interactivity on one path (POST /slack/events); the
# calendar OAuth providers redirect to GET /oauth/{provider}/callback. Requests are authenticated
# by the application (Slack signing secret; OAuth state), so the routes have no IAM authoriser.

resource "aws_apigatewayv2_integration" "bot" {
  api_id                 = var.api.id
  integration_type       = "AWS_PROXY"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  # Slack expects an answer within 3 seconds; Bolt acks first and runs the rest lazily.
  timeout_milliseconds = 29000
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:Slack cannot sign requests with IAM; Bolt verifies the Slack signature on every request and the OAuth callback checks its state parameter
  for_each = toset(["POST /slack/events", "GET /oauth/{provider}/callback"])

  api_id             = var.api.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.bot.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days: 365 days in prod (examples/prod.tfvars), shorter in dev to save cost
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = var.api.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      latency        = "$context.responseLatency"
      integrationErr = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = "live"
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.api.execution_arn}/*/*"
}
