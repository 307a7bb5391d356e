# The project-phase runner on ECS Fargate (phase_runner = "ecs"): a phase's Swarm may outlast Lambda's
# 15 minutes. The RunProjectPhase function (and the bot, on a resume) starts one task per run with the
# command `crewbot projects run-phase --project P --run R [--resume]` as a container override
# (plugins/projects/launchers.py); the task reads the run from the store, runs the Swarm and answers the
# phase's task token. Two roles: the task role holds exactly the catalog's access for the task, the
# execution role only pulls this image and writes this log group.

locals {
  key_statement = {
    sid        = "DeploymentKey"
    actions    = var.task.key_actions
    resources  = [var.kms_key_arn]
    conditions = []
  }
  task_statements  = concat(var.task.statements, length(var.task.key_actions) > 0 ? [local.key_statement] : [])
  cpu_architecture = var.architecture == "arm64" ? "ARM64" : "X86_64"
}

# -- image -----------------------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  name                 = var.task.name
  image_tag_mutability = "IMMUTABLE" # a tag always names the image that was tested and deployed
  force_delete         = !var.protect_data

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

# Every push is a new tag: keep the last 20 images so a rollback has somewhere to go, drop the rest.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 most recent images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}

# -- cluster and logs --------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.task.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days: 365 days in prod (examples/prod.tfvars), shorter in dev to save cost
  name              = var.task.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# -- roles -------------------------------------------------------------------------------------------------

# Only ECS tasks of this account may assume the roles (confused-deputy guard).
module "task_role" {
  source         = "../service_role"
  name           = var.task.task_role_name
  service        = "ecs-tasks.amazonaws.com"
  source_account = var.account_id
  statements     = local.task_statements
}

# The execution role only pulls this image and writes this log group.
resource "aws_iam_role" "execution" {
  name               = var.task.execution_role_name
  assume_role_policy = data.aws_iam_policy_document.assume_ecs.json
}

data "aws_iam_policy_document" "assume_ecs" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  # GetAuthorizationToken has no resource-level permission; it only returns a login for the registry.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullRunnerImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this.arn]
  }
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# -- task definition ---------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = var.task.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory_mb)
  task_role_arn            = module.task_role.arn
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = local.cpu_architecture
  }

  # The root filesystem is read-only; CREWBOT_HOME (/tmp/crewbot) lives on this task-local scratch volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = var.task.container
    image                  = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
    essential              = true
    command                = var.task.command
    readonlyRootFilesystem = true
    # Runs as the image's non-root user; init reaps children and forwards SIGTERM when ECS stops the task.
    linuxParameters = { initProcessEnabled = true }
    mountPoints     = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    environment = [for k, v in merge(var.task.environment, var.extra_environment, {
      POWERTOOLS_SERVICE_NAME      = var.service_name
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    }) : { name = k, value = v }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "phase"
      }
    }
  }])

  depends_on = [module.task_role, aws_iam_role_policy.execution]

  lifecycle {
    precondition {
      condition     = var.image_tag != null && var.image_tag != ""
      error_message = "phase_runner = \"ecs\" needs phase_runner_task.image_tag: build and push the image first (infra/terraform/README.md, Lambda or Fargate)."
    }
    precondition {
      condition     = length(var.task.network.subnet_ids) > 0 && length(var.task.network.security_group_ids) > 0
      error_message = "phase_runner = \"ecs\" needs subnets and security groups: set vpc, or phase_runner_task.subnet_ids and security_group_ids."
    }
  }
}
