provider "aws" {
  region = var.region

  # The standard tags of bot/config/naming.py standard_tags, on every resource.
  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
