output "vpc_id" {
  description = "VPC the services run in."
  value       = local.vpc_id

  precondition {
    condition     = local.create_vpc || (length(var.public_subnet_ids) >= 2 && length(var.private_subnet_ids) >= 2 && var.existing_vpc_cidr != null)
    error_message = "With vpc_id set, also set public_subnet_ids and private_subnet_ids (two or more each) and existing_vpc_cidr."
  }
}

output "ecr_repository_url" {
  description = "Where to docker push the image (tag it with image_tag)."
  value       = module.registry.repository_url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer: point domain_name at it (CNAME or Route 53 alias)."
  value       = module.alb.dns_name
}

output "alb_zone_id" {
  description = "Hosted-zone ID of the load balancer, for a Route 53 alias record."
  value       = module.alb.zone_id
}

output "public_url" {
  description = "Base URL of the bot and API (LIFESTREAM_PUBLIC_URL)."
  value       = "https://${var.domain_name}"
}

output "slack_events_url" {
  description = "Request URL for Slack event subscriptions, interactivity and slash commands."
  value       = "https://${var.domain_name}/slack/events"
}

output "slack_install_url" {
  description = "The \"Add to Slack\" page (with slack_client_id set); its redirect URL is slack_oauth_redirect_url."
  value       = "https://${var.domain_name}/slack/install"
}

output "slack_oauth_redirect_url" {
  description = "Redirect URL to list in the Slack app's OAuth settings (manifests/slack.yaml)."
  value       = "https://${var.domain_name}/slack/oauth_redirect"
}

output "installations_bucket_name" {
  description = "Bucket of Slack installations (tokens) and workspace settings (LIFESTREAM_INSTALLATIONS_BUCKET)."
  value       = module.installations.bucket_name
}

output "teams_messaging_endpoint" {
  description = "Messaging endpoint for the Azure Bot registration."
  value       = "https://${var.domain_name}/api/messages"
}

output "bucket_name" {
  description = "Data bucket (uploads/, results/)."
  value       = module.storage.bucket_name
}

output "logs_bucket_name" {
  description = "Bucket with S3 and ALB access logs."
  value       = module.storage.logs_bucket_name
}

output "broker_url" {
  description = "LIFESTREAM_BROKER_URL as set in the containers."
  value       = module.queue.broker_url
}

output "queue_url" {
  description = "URL of the broker queue."
  value       = module.queue.queue_url
}

output "dlq_name" {
  description = "Dead-letter queue; the alarm fires when it holds a message."
  value       = module.queue.dlq_name
}

output "jobs_table_name" {
  description = "DynamoDB jobs table (LIFESTREAM_JOBS_TABLE)."
  value       = module.tables.jobs_table_name
}

output "idempotency_table_name" {
  description = "DynamoDB idempotency table (LIFESTREAM_IDEMPOTENCY_TABLE)."
  value       = module.tables.idempotency_table_name
}

output "secret_ids" {
  description = "Secrets to fill with aws secretsmanager put-secret-value, keyed by the environment variable each becomes."
  value       = module.secrets.secret_names
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.ecs.cluster_name
}

output "bot_service_name" {
  description = "ECS service running lifestream serve."
  value       = module.ecs.bot_service_name
}

output "worker_service_name" {
  description = "ECS service running lifestream worker."
  value       = module.ecs.worker_service_name
}

output "worker_task_definition_arn" {
  description = "Worker task definition, for one-off tasks."
  value       = module.ecs.worker_task_definition_arn
}

output "sweep_task_definition_arn" {
  description = "The retention sweeper's task definition (lifestream sweep), started every retention_sweep_schedule."
  value       = module.ecs.sweep_task_definition_arn
}

output "sweep_schedule_arn" {
  description = "The schedule that starts the retention sweeper."
  value       = module.ecs.sweep_schedule_arn
}

output "worker_security_group_id" {
  description = "Security group for one-off worker tasks."
  value       = module.ecs.worker_security_group_id
}

output "private_subnet_ids" {
  description = "Private subnets of the tasks, for one-off tasks."
  value       = local.private_subnet_ids
}

output "log_group_names" {
  description = "CloudWatch log groups of the bot, the worker and the retention sweeper."
  value       = module.ecs.log_group_names
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.monitoring.topic_arn
}

output "kms_key_arn" {
  description = "The app's KMS key."
  value       = module.kms.key_arn
}

output "task_role_arns" {
  description = "IAM roles the bot and worker containers run as."
  value       = module.ecs.task_role_arns
}
