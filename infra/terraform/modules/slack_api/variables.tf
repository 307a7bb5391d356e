variable "name" {
  description = "API name (<project>-<environment>-slack), also used for the access log group."
  type        = string
}

variable "api" {
  description = "The HTTP API the routes belong to."
  type = object({
    id            = string
    execution_arn = string
    api_endpoint  = string
  })
}

variable "function_name" {
  description = "Name of the bot function."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of the bot function."
  type        = string
}

variable "log_retention_days" {
  description = "Days access logs are kept."
  type        = number
}

variable "kms_key_arn" {
  description = "Key the access logs are encrypted with."
  type        = string
}

variable "throttling_burst_limit" {
  description = "Burst limit of the stage."
  type        = number
  default     = 200
}

variable "throttling_rate_limit" {
  description = "Requests per second allowed on the stage."
  type        = number
  default     = 100
}
