output "kms_key_arn" {
  description = "ARN of the customer managed key."
  value       = aws_kms_key.this.arn
}

output "secret_arns" {
  description = "Secret ARNs by logical name."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}
