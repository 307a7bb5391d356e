output "table_arns" {
  description = "Table ARNs by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}

output "table_names" {
  description = "Table names by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.name }
}

output "bucket_arns" {
  description = "Bucket ARNs by logical name."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "bucket_names" {
  description = "Bucket names by logical name."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}
