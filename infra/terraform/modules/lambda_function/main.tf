# One Lambda function with its own role (least privilege: the catalog's statements for this
# function, its own log group, the deployment key when it touches encrypted data, X-Ray when
# tracing is on) and its own log group with retention.

locals {
  logs_statement = {
    sid        = "OwnLogGroup"
    actions    = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources  = ["${aws_cloudwatch_log_group.this.arn}:*"]
    conditions = []
  }
  key_statement = {
    sid        = "DeploymentKey"
    actions    = var.function.key_actions
    resources  = [var.kms_key_arn]
    conditions = []
  }
  statements = concat(
    [local.logs_statement],
    var.function.statements,
    length(var.function.key_actions) > 0 ? [local.key_statement] : [],
  )
}

module "role" {
  source     = "../service_role"
  name       = var.function.name
  service    = "lambda.amazonaws.com"
  statements = local.statements
}

# X-Ray and VPC networking are AWS managed policies scoped by AWS (their actions support no
# resource-level permissions); neither touches Crewbot's data.
resource "aws_iam_role_policy_attachment" "xray" {
  count      = var.tracing ? 1 : 0
  role       = module.role.name
  policy_arn = "arn:${var.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy_attachment" "vpc" {
  count      = var.vpc == null ? 0 : 1
  role       = module.role.name
  policy_arn = "arn:${var.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days: 365 days in prod (examples/prod.tfvars), shorter in dev to save cost
  name              = "/aws/lambda/${var.function.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Asynchronous invocations go to an on-failure destination queue (modules/dead_letters), which also records the error; the others are synchronous (API Gateway, Step Functions) or from SQS with its own DLQ
  #checkov:skip=CKV_AWS_173:The environment holds names and settings, no secrets (read from Secrets Manager), so Lambda's default encryption at rest is enough; the bot's CloudFront origin value (waf.tf) is in the distribution's configuration too, which a key would not hide
  #checkov:skip=CKV_AWS_272:Code is built from the repository by make package; AWS Signer profiles are left to the deploying organisation
  function_name                  = var.function.name
  description                    = var.function.description
  role                           = module.role.arn
  handler                        = var.function.handler
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  s3_bucket                      = var.package.s3_bucket
  s3_key                         = var.package.s3_key
  s3_object_version              = var.package.s3_object_version
  source_code_hash               = var.package.hash
  layers                         = var.layer_arns
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency
  # Every change publishes a version; callers use the `live` alias, which `crewbot deploy rollback` moves back.
  publish = true

  environment {
    variables = merge(var.function.environment, var.extra_environment, {
      POWERTOOLS_SERVICE_NAME      = var.service_name
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    })
  }

  logging_config {
    log_format = "Text" # bot/logs.py writes JSON lines itself
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  dynamic "vpc_config" {
    for_each = var.vpc == null ? [] : [var.vpc]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  depends_on = [module.role, aws_cloudwatch_log_group.this]
}

# What every caller invokes (API Gateway, Step Functions, EventBridge, Scheduler, SQS mappings, the lazy
# listeners' self-invocation): `terraform apply` points it at the version it published, `crewbot deploy
# rollback` / `promote` move it between published versions.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The version callers run."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}
