variable "function" {
  description = "The function as the catalog describes it (catalog output `functions[<name>]`)."
  type = object({
    name        = string
    description = string
    handler     = string
    environment = map(string)
    statements = list(object({
      sid       = string
      actions   = list(string)
      resources = list(string)
      conditions = optional(list(object({
        test     = string
        variable = string
        values   = list(string)
      })), [])
    }))
    key_actions = list(string)
  })
}

variable "package" {
  description = "Where the code zip built by `make package` was uploaded, and its base64 SHA-256."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = string
    hash              = string
  })
}

variable "layer_arns" {
  description = "Layers: the Slack function's slim dependencies layer, or the full one for every other function."
  type        = list(string)
  default     = []
}

variable "architecture" {
  description = "x86_64 or arm64 (must match the dependencies layer)."
  type        = string
  default     = "arm64"
}

variable "memory_mb" {
  description = "Memory in MB."
  type        = number
}

variable "timeout_s" {
  description = "Timeout in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 leaves the function unreserved."
  type        = number
  default     = -1
}

variable "log_retention_days" {
  description = "Days the function's logs are kept."
  type        = number
}

variable "kms_key_arn" {
  description = "Deployment key: the function's logs and the data it reads."
  type        = string
}

variable "tracing" {
  description = "X-Ray active tracing."
  type        = bool
  default     = false
}

variable "vpc" {
  description = "Subnets and security groups when the VPC feature is on; null runs outside a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "partition" {
  description = "AWS partition."
  type        = string
  default     = "aws"
}

variable "extra_environment" {
  description = "More environment variables (never secrets: those are read from Secrets Manager)."
  type        = map(string)
  default     = {}
}

variable "service_name" {
  description = "Powertools service name."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the EMF metrics."
  type        = string
}
