# DynamoDB tables exactly as the catalog (and bot/storage/tables.py) declares them: on demand,
# point-in-time recovery, encrypted with the deployment's key, TTL where records expire, and the
# GSIs the code queries (all attributes projected, as bot/storage/base.py IndexSpec says).

resource "aws_dynamodb_table" "this" {
  for_each = var.tables

  name                        = each.value.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.pk
  range_key                   = each.value.sk
  deletion_protection_enabled = var.protect_data

  dynamic "attribute" {
    for_each = each.value.attributes
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.pk
      range_key       = global_secondary_index.value.sk
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl == null ? [] : [each.value.ttl]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
