variable "name" {
  description = "Name of the ECS cluster and prefix of its roles, log groups (/<name>/ecs/...) and security groups."
  type        = string
}

variable "aws_region" {
  description = "Region of the log groups the awslogs driver writes to."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the task security groups."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs; outbound through NAT)."
  type        = list(string)
}

variable "egress_cidrs" {
  description = "Where tasks may open HTTPS (443) connections: AWS APIs, Slack, Microsoft Bot Framework, the LLM endpoint and Pinecone."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "kms_key_arn" {
  description = "The app's KMS key: log groups, ECS Exec sessions, and decrypting S3/SQS/DynamoDB/Secrets Manager data."
  type        = string
}

variable "image" {
  description = "Full image reference both services run, e.g. <account>.dkr.ecr.<region>.amazonaws.com/lifestream:<git-sha>."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ECR repository the execution roles may pull from."
  type        = string
}

variable "container_port" {
  description = "Port lifestream serve listens on."
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "Path of the bot's health endpoint, probed by the container health check."
  type        = string
  default     = "/healthz"
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer; the only source allowed into the bot tasks."
  type        = string
}

variable "target_group_arn" {
  description = "ALB target group the bot service registers its tasks in."
  type        = string
}

variable "environment" {
  description = "Plain (non-secret) environment variables for both containers (LIFESTREAM_S3_BUCKET, LIFESTREAM_BROKER_URL, ...)."
  type        = map(string)
}

variable "bot_secret_arns" {
  description = "Secrets Manager ARNs injected into the bot container, keyed by environment variable name."
  type        = map(string)
  default     = {}
}

variable "worker_secret_arns" {
  description = "Secrets Manager ARNs injected into the worker container, keyed by environment variable name."
  type        = map(string)
  default     = {}
}

variable "sweep_secret_arns" {
  description = "Secrets Manager ARNs injected into the retention sweeper's container (the Pinecone key, when Pinecone is the index)."
  type        = map(string)
  default     = {}
}

variable "sweep_schedule" {
  description = "EventBridge Scheduler expression for the retention sweeper (lifestream sweep), e.g. rate(1 hour)."
  type        = string
  default     = "rate(1 hour)"
}

variable "sweep_cpu" {
  description = "CPU units of the retention sweeper's task."
  type        = number
  default     = 512
}

variable "sweep_memory" {
  description = "Memory of the retention sweeper's task in MiB."
  type        = number
  default     = 2048
}

variable "bucket_arn" {
  description = "ARN of the data bucket."
  type        = string
}

variable "s3_key_prefix" {
  description = "Prefix before uploads/ and results/ in the bucket (LIFESTREAM_S3_PREFIX); empty or ending in /."
  type        = string
  default     = ""
}

variable "queue_arn" {
  description = "ARN of the broker queue (bot sends, worker receives)."
  type        = string
}

variable "queue_name" {
  description = "Name of the broker queue, the dimension of the SQS metrics that scale the workers."
  type        = string
}

variable "dlq_arn" {
  description = "ARN of the dead-letter queue (the worker sends jobs that failed for good; both look it up by name)."
  type        = string
}

variable "table_arns" {
  description = "ARNs of the DynamoDB tables both services read and write."
  type        = list(string)
}

variable "log_retention_days" {
  description = "Days to keep container logs."
  type        = number
  default     = 365
}

variable "bot_cpu" {
  description = "CPU units of a bot task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "bot_memory" {
  description = "Memory of a bot task in MiB (the bot embeds questions for search, which loads torch)."
  type        = number
  default     = 2048
}

variable "bot_min_count" {
  description = "Fewest bot tasks (2 keeps one per availability zone)."
  type        = number
  default     = 2
}

variable "bot_max_count" {
  description = "Most bot tasks when CPU-based scaling adds some."
  type        = number
  default     = 4
}

variable "bot_cpu_target" {
  description = "Average CPU utilisation (percent) the bot service is scaled to keep."
  type        = number
  default     = 60
}

variable "worker_cpu" {
  description = "CPU units of a worker task (4096 = 4 vCPU)."
  type        = number
  default     = 4096
}

variable "worker_memory" {
  description = "Memory of a worker task in MiB."
  type        = number
  default     = 8192
}

variable "worker_max_count" {
  description = "Most worker tasks running at once."
  type        = number
  default     = 10
}

variable "worker_ephemeral_storage_gib" {
  description = "Scratch disk of a worker task in GiB (21-200): the downloaded recording, extracted audio and keyframes."
  type        = number
  default     = 50
}

variable "worker_use_spot" {
  description = "Run workers on Fargate Spot (about 70% cheaper; an interrupted job is retried from the queue)."
  type        = bool
  default     = false
}

variable "enable_autoscaling" {
  description = "Scale the services with Application Auto Scaling: the bot on CPU, the workers out on waiting jobs and to zero when idle. Keep true: without it the worker service stays at zero tasks. false is for AWS emulators that lack Application Auto Scaling tagging (moto's server, in the apply test)."
  type        = bool
  default     = true
}

variable "worker_idle_minutes" {
  description = "Minutes the queue must be completely empty (nothing waiting, nothing in flight) before the workers scale to zero."
  type        = number
  default     = 15
}

variable "worker_scale_out_cooldown" {
  description = "Seconds between two scale-out steps; longer than a worker takes to start and pick up a job."
  type        = number
  default     = 300
}

variable "bot_policies" {
  description = "More inline policies for the bot task role, by name (JSON documents other modules make for their resources)."
  type        = map(string)
  default     = {}
}

variable "worker_policies" {
  description = "More inline policies for the worker task role, by name."
  type        = map(string)
  default     = {}
}

variable "sweep_policies" {
  description = "More inline policies for the retention sweeper's task role, by name."
  type        = map(string)
  default     = {}
}
