output "arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "invoke_arn" {
  description = "ARN API Gateway integrates with."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Execution role name."
  value       = module.role.name
}

output "log_group_name" {
  description = "Log group name."
  value       = aws_cloudwatch_log_group.this.name
}

output "live_arn" {
  description = "ARN of the `live` alias: what callers invoke."
  value       = aws_lambda_alias.live.arn
}

output "live_invoke_arn" {
  description = "ARN API Gateway integrates with, through the `live` alias."
  value       = aws_lambda_alias.live.invoke_arn
}

output "version" {
  description = "The version this apply published (the `live` alias points at it)."
  value       = aws_lambda_function.this.version
}

output "environment" {
  description = "The function's environment variables (sensitive: behind CloudFront the bot's holds the origin-verify value, waf.tf)."
  value       = aws_lambda_function.this.environment[0].variables
  sensitive   = true
}

output "layers" {
  description = "ARNs of the layers the function runs with."
  value       = aws_lambda_function.this.layers
}
