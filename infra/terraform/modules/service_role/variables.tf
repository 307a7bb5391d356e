variable "name" {
  description = "Role name (from the naming rule)."
  type        = string
}

variable "service" {
  description = "Service principal that assumes the role, e.g. lambda.amazonaws.com."
  type        = string
}

variable "source_account" {
  description = "When set, only this account's resources may assume the role (aws:SourceAccount)."
  type        = string
  default     = null
}

variable "statements" {
  description = "The inline policy's statements."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
}

variable "policy_name" {
  description = "Name of the inline policy."
  type        = string
  default     = "least-privilege"
}
