variable "functions" {
  description = "Asynchronously invoked functions by logical name: name, role, the dead-letter queue's name and Lambda's retries before an event is dead-lettered."
  type = map(object({
    function_name = string
    role_name     = string
    dlq_name      = string
    retries       = number
  }))
  default = {}

  validation {
    condition     = alltrue([for f in values(var.functions) : f.retries >= 0 && f.retries <= 2])
    error_message = "Lambda retries a failed asynchronous invocation 0 to 2 times."
  }
}

variable "scheduler_dlq_name" {
  description = "Queue for the one-off schedules' (reminders') events the Scheduler cannot deliver."
  type        = string
}

variable "bus_name" {
  description = "Crewbot's event bus: its rules may dead-letter into the queues."
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
  default     = "aws"
}
