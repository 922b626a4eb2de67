output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "bot_service_name" {
  description = "Name of the bot service (lifestream serve)."
  value       = aws_ecs_service.bot.name
}

output "worker_service_name" {
  description = "Name of the worker service (lifestream worker)."
  value       = aws_ecs_service.worker.name
}

output "worker_task_definition_arn" {
  description = "Worker task definition, for one-off tasks (aws ecs run-task), e.g. a smoke test."
  value       = aws_ecs_task_definition.worker.arn
}

output "sweep_task_definition_arn" {
  description = "The retention sweeper's task definition (lifestream sweep); run it by hand with aws ecs run-task."
  value       = aws_ecs_task_definition.sweep.arn
}

output "sweep_schedule_arn" {
  description = "The EventBridge Scheduler schedule that starts the retention sweeper."
  value       = aws_scheduler_schedule.sweep.arn
}

output "worker_security_group_id" {
  description = "Security group of the worker tasks, for one-off tasks started by hand."
  value       = aws_security_group.worker.id
}

output "log_group_names" {
  description = "CloudWatch log groups of the bot, worker and sweep containers."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
}

output "task_role_arns" {
  description = "IAM roles the bot, worker and sweep containers run as."
  value       = { for k, r in aws_iam_role.task : k => r.arn }
}
