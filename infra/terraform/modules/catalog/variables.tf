# The catalog needs no provider: it turns logical names into physical names, ARNs and IAM policies, so
# tests/infra can evaluate it with Terraform offline and compare it with the Python code.

variable "project" {
  description = "Project name, the first part of every resource name (bot/config: project)."
  type        = string
}

variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string
}

variable "account_id" {
  description = "AWS account id (bucket names end with it, like ResourceNamer.bucket)."
  type        = string
}

variable "region" {
  description = "AWS region of the deployment."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "workflows" {
  description = "State machine definitions (Amazon States Language files) by logical name: the workflows the plugins register."
  type        = map(string)
  default     = {}
}

variable "tables" {
  description = "DynamoDB tables by logical name, as the plugins declare them (bot/storage TableSpec): keys, indexes, TTL attribute."
  type = map(object({
    pk  = string
    sk  = optional(string)
    ttl = optional(string)
    indexes = optional(list(object({
      name = string
      pk   = string
      sk   = optional(string)
    })), [])
  }))
  default = {}
}

variable "functions" {
  description = "Lambda functions by logical name (the deploy catalog, bot/deploy/catalog.py)."
  type = map(object({
    handler              = string
    description          = string
    trigger              = string
    memory_mb            = optional(number, 512)
    timeout_s            = optional(number, 30)
    tables_read          = optional(list(string), [])
    tables_write         = optional(list(string), [])
    buckets_read         = optional(list(string), [])
    buckets_write        = optional(list(string), [])
    queues_send          = optional(list(string), [])
    queues_consume       = optional(list(string), [])
    state_machines_start = optional(list(string), [])
    task_callback        = optional(bool, false)
    events_put           = optional(bool, false)
    secrets              = optional(list(string), [])
    bedrock              = optional(bool, false)
    invoke_self          = optional(bool, false)
    schedules            = optional(bool, false)
    sms                  = optional(bool, false)
    token_cipher         = optional(bool, false)
    run_tasks            = optional(list(string), [])
    environment          = optional(map(string), {})
  }))
  default = {}
}

variable "tasks" {
  description = "Container tasks (ECS Fargate) by logical name (the deploy catalog): what each may touch, as for functions."
  type = map(object({
    description          = string
    command              = list(string)
    cpu                  = optional(number, 1024)
    memory_mb            = optional(number, 4096)
    tables_read          = optional(list(string), [])
    tables_write         = optional(list(string), [])
    buckets_read         = optional(list(string), [])
    buckets_write        = optional(list(string), [])
    queues_send          = optional(list(string), [])
    queues_consume       = optional(list(string), [])
    state_machines_start = optional(list(string), [])
    task_callback        = optional(bool, false)
    events_put           = optional(bool, false)
    secrets              = optional(list(string), [])
    bedrock              = optional(bool, false)
    schedules            = optional(bool, false)
    sms                  = optional(bool, false)
    token_cipher         = optional(bool, false)
  }))
  default = {}
}

variable "task_networks" {
  description = "The tasks that are deployed, each with the network its runs use (private subnets, security groups, public IP or not). A function's run_tasks are granted only for these."
  type = map(object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
    assign_public_ip   = bool
  }))
  default = {}
}

variable "queues" {
  description = "SQS queues by logical name, each with the function that consumes it: batch size, maximum concurrent invocations, receives before the dead-letter queue."
  type = map(object({
    consumer          = string
    description       = string
    max_receive_count = optional(number, 3)
    batch_size        = optional(number, 10)
    concurrency       = optional(number, 4)
  }))
  default = {}
}

variable "secrets" {
  description = "Secrets Manager entries by logical name: path below <project>/<environment>/ and what it holds."
  type = map(object({
    name        = string
    description = string
  }))
  default = {}
}

variable "models" {
  description = "Bedrock model ids and inference profile ids (us.amazon.nova-lite-v1:0) the configuration uses, each with its region (null: the deployment's). Bedrock access is granted on these only."
  type = list(object({
    id     = string
    region = optional(string)
  }))
  default = []
}
