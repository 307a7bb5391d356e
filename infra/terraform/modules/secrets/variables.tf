variable "name_prefix" {
  description = "<project>-<environment>."
  type        = string
}

variable "kms_alias" {
  description = "Alias of the key (alias/<project>-<environment>)."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}

variable "secrets" {
  description = "Secrets by logical name (catalog output): path and description."
  type = map(object({
    name        = string
    path        = string
    description = string
  }))
}

variable "recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once)."
  type        = number
  default     = 30
}

variable "key_deletion_window_days" {
  description = "Days before a scheduled key deletion happens (7-30)."
  type        = number
  default     = 30
}
