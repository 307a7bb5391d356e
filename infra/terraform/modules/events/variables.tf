variable "name_prefix" {
  description = "<project>-<environment>."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "bus_name" {
  description = "Name of Crewbot's event bus."
  type        = string
}

variable "schedule_group_name" {
  description = "Scheduler group for the reminders the bot creates."
  type        = string
}

variable "scheduler_role_name" {
  description = "Name of the role schedules run with (the catalog's name, which definitions may pass)."
  type        = string
}

variable "reminders_dead_letter_arn" {
  description = "Dead-letter queue of the one-off schedules the bot creates in the reminders group."
  type        = string
}

variable "kms_key_arn" {
  description = "Deployment key (schedules' payloads)."
  type        = string
}

variable "rules" {
  description = "Event rules by logical name: the event pattern (JSON) and the state machine or function to start."
  type = map(object({
    description     = string
    pattern         = string # JSON
    target_kind     = string # "state_machine" or "function"
    target_arn      = string
    dead_letter_arn = optional(string) # where undeliverable events go
  }))
  default = {}

  validation {
    condition     = alltrue([for r in values(var.rules) : contains(["state_machine", "function"], r.target_kind)])
    error_message = "target_kind must be \"state_machine\" or \"function\"."
  }
}

variable "schedules" {
  description = "Fixed schedules by logical name: rate()/cron() expression and the function to invoke."
  type = map(object({
    description     = string
    expression      = string
    function_arn    = string
    dead_letter_arn = string # where undeliverable firings go
  }))
  default = {}
}
