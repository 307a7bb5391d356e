variable "name_prefix" {
  description = "<project>-<environment>."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "workflows" {
  description = "Definitions by logical name (catalog output `workflows`): file and physical name."
  type = map(object({
    file = string
    name = string
  }))
}

variable "bindings" {
  description = "Values of the definitions' placeholders (catalog output `workflow_bindings`)."
  type        = map(string)
}

variable "statements" {
  description = "IAM statements of the role (catalog output `states_statements`)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
}

variable "log_retention_days" {
  description = "Days execution logs are kept."
  type        = number
}

variable "kms_key_arn" {
  description = "Key the execution logs are encrypted with."
  type        = string
}

variable "tracing" {
  description = "X-Ray tracing."
  type        = bool
  default     = true
}
