output "repository_url" {
  description = "ECR repository to push the runner image to (`make image` then `docker push <url>:<tag>`)."
  value       = aws_ecr_repository.this.repository_url
}

output "cluster_name" {
  description = "ECS cluster the phase tasks run in."
  value       = aws_ecs_cluster.this.name
}

output "task_definition_arn" {
  description = "Task definition (with revision) the launchers start by family."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Task definition family (plugins.settings.projects.ecs.task_definition)."
  value       = aws_ecs_task_definition.this.family
}

output "task_role_arn" {
  description = "Role the phase run's code uses."
  value       = module.task_role.arn
}

output "execution_role_arn" {
  description = "Role ECS uses to pull the image and write the logs."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "Log group of the phase tasks."
  value       = aws_cloudwatch_log_group.this.name
}
