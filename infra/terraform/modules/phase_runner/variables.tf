variable "task" {
  description = "The task as the catalog describes it (catalog output `tasks[\"phase_runner\"]`): names, roles, environment, IAM statements and network."
  type = object({
    name                = string
    description         = string
    command             = list(string)
    container           = string
    task_role_name      = string
    execution_role_name = string
    log_group           = string
    environment         = map(string)
    network = object({
      subnet_ids         = list(string)
      security_group_ids = list(string)
      assign_public_ip   = bool
    })
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

variable "image_tag" {
  description = "Tag of the runner image in the repository (`make image TAG=...` then push; tags are immutable). null fails the plan with an explanation."
  type        = string
  default     = null
}

variable "cpu" {
  description = "Fargate CPU units (1024 = 1 vCPU)."
  type        = number
}

variable "memory_mb" {
  description = "Fargate memory in MB (must be a valid combination with cpu)."
  type        = number
}

variable "architecture" {
  description = "arm64 or x86_64: the platform the image was built for (`make image ARCH=...`)."
  type        = string
}

variable "log_retention_days" {
  description = "Days the task's logs are kept."
  type        = number
}

variable "kms_key_arn" {
  description = "Deployment key: the repository, the log group and the data the task reads."
  type        = string
}

variable "protect_data" {
  description = "When true the repository cannot be deleted while it holds images."
  type        = bool
  default     = true
}

variable "extra_environment" {
  description = "More environment variables (never secrets: those are read from Secrets Manager)."
  type        = map(string)
  default     = {}
}

variable "account_id" {
  description = "AWS account id (the roles may be assumed only for this account's tasks)."
  type        = string
}

variable "region" {
  description = "AWS region (the awslogs driver's region)."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
  default     = "aws"
}

variable "service_name" {
  description = "Powertools service name."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the EMF metrics."
  type        = string
}
