output "names" {
  description = "Physical names by kind and logical name."
  value       = local.names

  precondition {
    condition     = length(local.too_long) == 0
    error_message = "Names longer than AWS allows: ${join(", ", local.too_long)}."
  }
}

output "arns" {
  description = "ARNs derived from the names (the resources create the same ones)."
  value       = local.arns
}

output "tables" {
  description = "DynamoDB tables: keys, indexes, TTL attribute, key attributes and physical name."
  value = {
    for k, t in local.tables : k => merge(t, {
      name       = local.names.tables[k]
      arn        = local.arns.tables[k]
      attributes = local.table_attributes[k]
    })
  }
}

output "buckets" {
  description = "S3 buckets: versioning, expiry in days (null: kept) and physical name."
  value       = { for k, b in local.buckets : k => merge(b, { name = local.names.buckets[k], arn = local.arns.buckets[k] }) }
}

output "functions" {
  description = "Lambda functions: the declaration from the deploy catalog plus name, ARN, environment and IAM statements."
  value       = local.functions

  precondition {
    condition     = length(local.unknown_references) == 0
    error_message = "Functions refer to undeclared resources: ${join("; ", local.unknown_references)}."
  }
  precondition {
    condition     = length(local.missing_task_functions) == 0
    error_message = "Workflow tasks without a function (trigger \"workflow_task\") in the deploy catalog (is the plugin registering the task enabled?): ${join(", ", local.missing_task_functions)}."
  }
}

output "tasks" {
  description = "Container tasks: the declaration from the deploy catalog plus names, role ARNs, environment, IAM statements and, when deployed, the network."
  value       = local.tasks

  precondition {
    condition     = length(local.unknown_task_references) == 0
    error_message = "References to undeclared container tasks: ${join("; ", local.unknown_task_references)}."
  }
}

output "queues" {
  description = "SQS queues with their dead-letter queue name, consumer and visibility timeout."
  value       = local.queues

  precondition {
    condition     = length(local.unknown_consumers) == 0
    error_message = "Queues consumed by undeclared functions: ${join(", ", local.unknown_consumers)}."
  }
}

output "secrets" {
  description = "Secrets Manager entries: path and description."
  value       = { for k, s in var.secrets : k => merge(s, { path = local.names.secrets[k] }) }
}

output "workflows" {
  description = "State machine definitions by logical name: file, physical name and placeholders."
  value = {
    for k, path in local.workflows : k => {
      file         = path
      name         = local.names.state_machines[k]
      placeholders = local.workflow_placeholders[k]
    }
  }
}

output "workflow_bindings" {
  description = "The values templatefile binds to the definitions' placeholders."
  value       = local.workflow_bindings

  precondition {
    condition     = alltrue([for names in values(local.unbound_placeholders) : length(names) == 0])
    error_message = "Unbound workflow placeholders: ${jsonencode(local.unbound_placeholders)}."
  }
}

output "workflow_tasks" {
  description = "Task names found in the definitions ($${<Task>FunctionArn}) and their function's logical name."
  value       = local.task_functions
}

output "lambda_environment" {
  description = "CREWBOT_* variables every function gets."
  value       = local.lambda_environment
}

output "states_statements" {
  description = "IAM statements of the state machines' role, from the Task resources the definitions use."
  value       = local.states_statements

  precondition {
    condition     = length(local.unknown_integrations) == 0
    error_message = "Workflow Task resources with no IAM mapping in modules/catalog/workflows.tf: ${join(", ", local.unknown_integrations)}."
  }
}
