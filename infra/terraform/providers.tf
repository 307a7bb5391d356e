provider "aws" {
  region = var.region

  # The standard tags of bot/config/naming.py standard_tags, on every resource.
  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# CloudFront's web ACLs (scope CLOUDFRONT) can only be created in us-east-1 (waf.tf).
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}
