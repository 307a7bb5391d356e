# Optional CloudTrail data events (`cloudtrail_data_events`, off by default: data events are billed per
# event): object-level S3 calls on the deployment's data buckets and Lambda Invoke calls on its
# functions, kept in a CloudTrail Lake event data store of this region. Management events stay in the
# account's own trail.

resource "aws_cloudtrail_event_data_store" "data_events" {
  count = var.cloudtrail_data_events ? 1 : 0

  name                           = "${local.name_prefix}-data-events"
  multi_region_enabled           = false
  organization_enabled           = false
  retention_period               = var.cloudtrail_retention_days
  termination_protection_enabled = var.protect_data

  advanced_event_selector {
    name = "Object calls on the data buckets"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }
    field_selector {
      field       = "resources.ARN"
      starts_with = [for arn in values(module.catalog.arns.buckets) : "${arn}/"]
    }
  }

  advanced_event_selector {
    name = "Invocations of the functions"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::Lambda::Function"]
    }
    field_selector {
      field       = "resources.ARN"
      starts_with = values(module.catalog.arns.functions)
    }
  }
}
