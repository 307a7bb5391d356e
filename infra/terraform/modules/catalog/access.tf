# Least privilege per function: the IAM actions each kind of access grants (the same table as
# ACCESS_ACTIONS in bot/deploy/catalog.py; tests/infra compares them and checks the table and bucket
# actions against the AWS calls bot/storage/dynamodb.py makes), applied to the resources each
# function declares in the deploy catalog. No statement has a "*" action.

locals {
  access_actions = {
    table_read          = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]
    table_write         = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    bucket_read         = ["s3:GetObject", "s3:ListBucket"]
    bucket_write        = ["s3:DeleteObject", "s3:PutObject"]
    queue_send          = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    queue_consume       = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
    state_machine_start = ["states:DescribeExecution", "states:StartExecution"]
    state_machine_list  = ["states:ListStateMachines"]
    task_callback       = ["states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"]
    events_put          = ["events:PutEvents"]
    secret_read         = ["secretsmanager:GetSecretValue"]
    bedrock             = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    invoke_self         = ["lambda:InvokeFunction"]
    schedules           = ["iam:PassRole", "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule"]
    sms                 = ["sns:Publish"]
    kms                 = ["kms:Decrypt", "kms:GenerateDataKey"]
    token_cipher        = ["kms:Decrypt", "kms:Encrypt"]
    task_run            = ["ecs:RunTask", "ecs:TagResource", "iam:PassRole"]
  }

  # Bedrock: only the configured models. An inference profile (us.amazon.nova-lite-v1:0) routes a call to the
  # model in any region of its geography, so the model is granted in every region, by id; a plain model id
  # in its own region.
  bedrock_resources = distinct(flatten([
    for m in var.models : can(regex("^(us|eu|apac|us-gov|global)\\.", m.id)) ? [
      "arn:${var.partition}:bedrock:${coalesce(m.region, var.region)}:${var.account_id}:inference-profile/${m.id}",
      "arn:${var.partition}:bedrock:*::foundation-model/${replace(m.id, "/^[a-z-]+\\./", "")}",
    ] : ["arn:${var.partition}:bedrock:${coalesce(m.region, var.region)}::foundation-model/${m.id}"]
  ]))

  # Functions and container tasks get their policies the same way: one shape for both ("function/<name>",
  # "task/<name>"). Tasks never invoke themselves or start tasks.
  principals = merge(
    { for fn, f in var.functions : "function/${fn}" => {
      name                 = fn, tables_read = f.tables_read, tables_write = f.tables_write, buckets_read = f.buckets_read,
      buckets_write        = f.buckets_write, queues_send = f.queues_send, queues_consume = f.queues_consume,
      state_machines_start = f.state_machines_start, task_callback = f.task_callback, events_put = f.events_put,
      secrets              = f.secrets, bedrock = f.bedrock, invoke_self = f.invoke_self, schedules = f.schedules, sms = f.sms,
      token_cipher         = f.token_cipher, run_tasks = [for t in f.run_tasks : t if contains(keys(var.task_networks), t)]
    } },
    { for tn, t in var.tasks : "task/${tn}" => {
      name                 = tn, tables_read = t.tables_read, tables_write = t.tables_write, buckets_read = t.buckets_read,
      buckets_write        = t.buckets_write, queues_send = t.queues_send, queues_consume = t.queues_consume,
      state_machines_start = t.state_machines_start, task_callback = t.task_callback, events_put = t.events_put,
      secrets              = t.secrets, bedrock = t.bedrock, invoke_self = false, schedules = t.schedules, sms = t.sms,
      token_cipher         = t.token_cipher, run_tasks = []
    } },
  )

  # Per function: one statement per kind of access, on exactly the resources it names. The statement
  # on the deployment key needs the key's ARN, which only exists in AWS: the lambda_function module
  # adds it with key_actions.
  policy_statements = {
    for fn, f in local.principals : fn => [
      for s in [
        {
          kind = "table_read"
          resources = flatten([for t in distinct(concat(f.tables_read, f.tables_write)) :
          [lookup(local.arns.tables, t, ""), "${lookup(local.arns.tables, t, "")}/index/*"]])
        },
        { kind = "table_write", resources = [for t in f.tables_write : lookup(local.arns.tables, t, "")] },
        {
          kind = "bucket_read"
          resources = flatten([for b in distinct(concat(f.buckets_read, f.buckets_write)) :
          [lookup(local.arns.buckets, b, ""), "${lookup(local.arns.buckets, b, "")}/*"]])
        },
        { kind = "bucket_write", resources = [for b in f.buckets_write : "${lookup(local.arns.buckets, b, "")}/*"] },
        # A queue is looked up by name together with its dead-letter queue.
        { kind = "queue_send", resources = flatten([for q in f.queues_send : [lookup(local.arns.queues, q, ""), lookup(local.arns.dlqs, q, "")]]) },
        { kind = "queue_consume", resources = flatten([for q in f.queues_consume : [lookup(local.arns.queues, q, ""), lookup(local.arns.dlqs, q, "")]]) },
        {
          kind = "state_machine_start"
          resources = flatten([for m in f.state_machines_start :
          [lookup(local.arns.state_machines, m, ""), lookup(local.arns.executions, m, "")]])
        },
        # ListStateMachines supports no resource-level permission.
        { kind = "state_machine_list", resources = length(f.state_machines_start) > 0 ? ["*"] : [] },
        # Task tokens are not tied to a resource ARN: SendTask* supports no resource-level permission.
        { kind = "task_callback", resources = f.task_callback ? ["*"] : [] },
        { kind = "events_put", resources = f.events_put ? [local.arns.event_bus] : [] },
        { kind = "secret_read", resources = [for s in f.secrets : lookup(local.arns.secrets, s, "")] },
        {
          kind      = "bedrock"
          resources = f.bedrock ? local.bedrock_resources : []
        },
        # Lazy listeners re-invoke the ARN they were invoked with: the `live` alias.
        { kind = "invoke_self", resources = f.invoke_self ? [lookup(local.arns.functions, f.name, ""), "${lookup(local.arns.functions, f.name, "")}:live"] : [] },
        # Reminders: schedules in the reminders group, run with the scheduler role (hence PassRole on it).
        { kind = "schedules", resources = f.schedules ? [local.arns.schedule_group, local.arns.scheduler_role] : [] },
        # Text messages go to phone numbers, which have no ARN.
        { kind = "sms", resources = f.sms ? ["*"] : [] },
        # Container tasks: run the task definition on its own cluster only, tag the task it starts (RunTask with
        # tags is authorised as tagging on creation) and pass exactly the task's two roles, to ECS only.
        {
          kind       = "task_run", actions = ["ecs:RunTask"]
          resources  = [for t in f.run_tasks : lookup(local.arns.task_definitions, t, "")]
          conditions = [{ test = "ArnEquals", variable = "ecs:cluster", values = [for t in f.run_tasks : lookup(local.arns.clusters, t, "")] }]
        },
        {
          kind       = "task_run", sid = "TaskRunTag", actions = ["ecs:TagResource"]
          resources  = [for t in f.run_tasks : lookup(local.arns.tasks, t, "")]
          conditions = [{ test = "StringEquals", variable = "ecs:CreateAction", values = ["RunTask"] }]
        },
        {
          kind       = "task_run", sid = "TaskRunPassRole", actions = ["iam:PassRole"]
          resources  = flatten([for t in f.run_tasks : [lookup(local.arns.task_roles, t, ""), lookup(local.arns.execution_roles, t, "")]])
          conditions = [{ test = "StringEquals", variable = "iam:PassedToService", values = ["ecs-tasks.amazonaws.com"] }]
        },
        ] : {
        sid        = try(s.sid, replace(title(replace(s.kind, "_", " ")), " ", ""))
        actions    = try(s.actions, local.access_actions[s.kind])
        resources  = s.resources
        conditions = try(s.conditions, [])
      } if length(s.resources) > 0
    ]
  }

  # Access kinds on the deployment key: data encrypted with it, and calendar tokens encrypted by the code.
  key_kinds = {
    for fn, f in local.principals : fn => concat(
      length(concat(f.buckets_read, f.buckets_write, f.queues_send, f.queues_consume, f.secrets)) > 0 ? ["kms"] : [],
      f.token_cipher ? ["token_cipher"] : [],
    )
  }
  key_actions = { for fn, kinds in local.key_kinds : fn => sort(distinct(flatten([for k in kinds : local.access_actions[k]]))) }

  # Names a function refers to that the catalog does not declare (a typo would otherwise surface as
  # an "Invalid index" deep inside a for expression).
  unknown_references = flatten([
    for fn, f in local.principals : concat(
      [for t in concat(f.tables_read, f.tables_write) : "${fn}: table ${t}" if !contains(keys(local.tables), t)],
      [for b in concat(f.buckets_read, f.buckets_write) : "${fn}: bucket ${b}" if !contains(keys(local.buckets), b)],
      [for q in concat(f.queues_send, f.queues_consume) : "${fn}: queue ${q}" if !contains(keys(var.queues), q)],
      [for m in f.state_machines_start : "${fn}: state machine ${m}" if !contains(keys(local.workflows), m)],
      [for s in f.secrets : "${fn}: secret ${s}" if !contains(keys(var.secrets), s)],
    )
  ])
  unknown_task_references = concat(
    flatten([for fn, f in var.functions : [for t in f.run_tasks : "${fn}: task ${t}" if !contains(keys(var.tasks), t)]]),
    [for t in keys(var.task_networks) : "task_networks: task ${t}" if !contains(keys(var.tasks), t)],
  )
}
