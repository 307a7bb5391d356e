# Naming and tagging. The naming rule itself lives in modules/catalog/naming.tf (the same rule as
# bot/config/naming.py ResourceNamer; tests/infra evaluates it and compares). The tags are
# bot/config/naming.py standard_tags, applied to every resource through the provider's default_tags.

locals {
  tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      Owner       = var.owner
      CostCenter  = var.cost_center
      ManagedBy   = "terraform"
    },
    var.custom_tags,
  )

  name_prefix   = "${var.project}-${var.environment}"
  repo_root     = abspath("${path.root}/../..")
  package_dir   = coalesce(var.package_dir, "${local.repo_root}/dist/lambda")
  code_zip      = "${local.package_dir}/crewbot.zip"
  layer_zip     = "${local.package_dir}/dependencies-${var.architecture}.zip"
  has_functions = length(local.functions) > 0
  has_bot       = contains(keys(local.functions), "bot")

  # The phase runner's network when it is deployed (phase_runner = "ecs"): its own subnets and security
  # groups, else the VPC feature's. The catalog grants RunTask only for deployed tasks.
  task_networks = var.phase_runner == "ecs" ? {
    phase_runner = {
      subnet_ids         = var.phase_runner_task.subnet_ids != null ? var.phase_runner_task.subnet_ids : try(var.vpc.subnet_ids, [])
      security_group_ids = var.phase_runner_task.security_group_ids != null ? var.phase_runner_task.security_group_ids : try(var.vpc.security_group_ids, [])
      assign_public_ip   = var.phase_runner_task.assign_public_ip
    }
  } : {}
}
