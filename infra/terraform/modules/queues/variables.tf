variable "queues" {
  description = "Queues by logical name (catalog output `queues`)."
  type = map(object({
    name                 = string
    dlq_name             = string
    consumer             = string
    visibility_timeout_s = number
    max_receive_count    = number
    batch_size           = number
    concurrency          = number
  }))
}

variable "consumer_function_arns" {
  description = "ARNs of the consumer functions by logical name."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Customer managed key the messages are encrypted with."
  type        = string
}
