# {{title}} — {{project}} ({{phase}}), written by {{agent}} on {{date}}.
# Requirements addressed:
{{requirements_comment}}
# Customer feedback taken into account:
{{feedback_comment}}

terraform {
  required_version = ">= 1.7.0"
}

locals {
  project = "{{slug}}"
  phase   = "{{phase}}"
}
