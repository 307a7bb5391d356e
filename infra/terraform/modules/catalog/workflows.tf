# Step Functions definitions: one state machine per registered workflow. A Task names its Lambda
# function with the placeholder ${<Task>FunctionArn} (bot/workflows/tasks.py); the function for task
# LoadMeeting is the catalog function task_load_meeting, with trigger "workflow_task".

locals {
  workflows = var.workflows

  # Every ${name} in every definition (templatefile fails on an unbound one).
  workflow_placeholders = {
    for k, path in local.workflows : k => distinct(flatten(regexall("\\$\\{([A-Za-z0-9_]+)\\}", file(path))))
  }
  workflow_tasks = distinct(flatten([
    for names in values(local.workflow_placeholders) : [for n in names : trimsuffix(n, "FunctionArn") if endswith(n, "FunctionArn")]
  ]))

  # What the placeholders are bound to: task function ARNs plus the names a definition may need.
  workflow_bindings = merge(
    # The `live` alias of each task's function (crewbot deploy rollback moves it).
    { for task, fn in local.task_functions : "${task}FunctionArn" => contains(keys(local.arns.functions), fn) ? "${local.arns.functions[fn]}:live" : "" },
    {
      EventBusName      = local.names.event_bus
      ScheduleGroupName = local.names.schedule_group
    },
  )
  unbound_placeholders = { for k, names in local.workflow_placeholders : k => [for n in names : n if lookup(local.workflow_bindings, n, "") == ""] }
  missing_task_functions = [
    for task, fn in local.task_functions : fn if !contains(keys(var.functions), fn) || try(var.functions[fn].trigger, "") != "workflow_task"
  ]
}

# What the state machines' role may do: derived from the Task resources the definitions use. A
# resource that is neither a task function nor one of these integrations fails the plan (and
# tests/infra), so a new integration is granted deliberately, never with a wildcard.
locals {
  workflow_resources = distinct(flatten([
    for path in values(local.workflows) : flatten(regexall("\"Resource\"\\s*:\\s*\"([^\"]+)\"", file(path)))
  ]))
  # "arn:aws:states:::events:putEvents.waitForTaskToken" -> "events:putEvents"
  workflow_integrations = distinct([
    for r in local.workflow_resources : replace(trimprefix(r, "arn:${var.partition}:states:::"), "/\\.(waitForTaskToken|sync(:2)?)$/", "")
    if startswith(r, "arn:${var.partition}:states:::")
  ])
  task_function_arns = [for fn in values(local.task_functions) : "${local.arns.functions[fn]}:live" if contains(keys(local.arns.functions), fn)]

  states_integrations = {
    "lambda:invoke"         = { actions = ["lambda:InvokeFunction"], resources = local.task_function_arns }
    "events:putEvents"      = { actions = ["events:PutEvents"], resources = [local.arns.event_bus] }
    "sqs:sendMessage"       = { actions = ["sqs:SendMessage"], resources = values(local.arns.queues) }
    "states:startExecution" = { actions = ["states:StartExecution"], resources = values(local.arns.state_machines) }
    "aws-sdk:scheduler:createSchedule" = {
      actions   = ["iam:PassRole", "scheduler:CreateSchedule"]
      resources = [local.arns.schedule_group, local.arns.scheduler_role]
    }
    "aws-sdk:scheduler:deleteSchedule" = {
      actions   = ["scheduler:DeleteSchedule"]
      resources = [local.arns.schedule_group]
    }
  }
  unknown_integrations = [for i in local.workflow_integrations : i if !contains(keys(local.states_integrations), i)]

  # Direct ARNs (a placeholder ${<Task>FunctionArn} as the Resource) and lambda:invoke both invoke
  # the task functions.
  states_statements = [
    for s in concat(
      length(local.task_function_arns) > 0 ? [{ sid = "InvokeTaskFunctions", actions = ["lambda:InvokeFunction"], resources = local.task_function_arns }] : [],
      [for i in local.workflow_integrations : {
        sid       = replace(title(replace(i, "/[^A-Za-z0-9]+/", " ")), " ", "")
        actions   = local.states_integrations[i].actions
        resources = local.states_integrations[i].resources
      } if i != "lambda:invoke" && contains(keys(local.states_integrations), i)],
    ) : s if length(s.resources) > 0
  ]
}
