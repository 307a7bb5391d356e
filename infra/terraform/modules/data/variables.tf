variable "tables" {
  description = "Tables by logical name (catalog output `tables`)."
  type = map(object({
    name       = string
    pk         = string
    sk         = optional(string)
    ttl        = optional(string)
    attributes = list(string)
    indexes = list(object({
      name = string
      pk   = string
      sk   = optional(string)
    }))
  }))
}

variable "buckets" {
  description = "Buckets by logical name (catalog output `buckets`)."
  type = map(object({
    name        = string
    versioned   = bool
    expire_days = optional(number)
  }))
}

variable "kms_key_arn" {
  description = "Customer managed key for tables and buckets."
  type        = string
}

variable "protect_data" {
  description = "Deletion protection on tables and no force_destroy on buckets: `terraform destroy` keeps the data."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept in a versioned bucket."
  type        = number
  default     = 90
}
