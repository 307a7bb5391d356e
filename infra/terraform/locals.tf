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
}
