# ----------------------------------------------------------------------------- general
variable "name" {
  description = "Name prefix of every resource (lower case letters, digits and hyphens)."
  type        = string
  default     = "lifestream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags for every resource (added to Project and ManagedBy)."
  type        = map(string)
  default     = {}
}

# ----------------------------------------------------------------------------- network
variable "vpc_id" {
  description = "Existing VPC to deploy into; null creates a new VPC (2 AZs, public + private subnets, NAT)."
  type        = string
  default     = null
}

variable "public_subnet_ids" {
  description = "With vpc_id: existing public subnets (two or more AZs) for the load balancer."
  type        = list(string)
  default     = []
}

variable "private_subnet_ids" {
  description = "With vpc_id: existing private subnets (two or more AZs, outbound internet through NAT) for the tasks."
  type        = list(string)
  default     = []
}

variable "vpc_cidr" {
  description = "CIDR of the new VPC (ignored with vpc_id)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "existing_vpc_cidr" {
  description = "With vpc_id: the existing VPC's CIDR (the load balancer may only reach the bot port inside it)."
  type        = string
  default     = null
}

variable "az_count" {
  description = "Availability zones of the new VPC (ignored with vpc_id)."
  type        = number
  default     = 2
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the new VPC instead of one per AZ: about $33 a month cheaper per AZ, but outbound traffic stops if that AZ fails."
  type        = bool
  default     = true
}

# ----------------------------------------------------------------------------- public endpoint
variable "domain_name" {
  description = "Public host name of the bot, e.g. lifestream.example.com. Point it at the ALB (output alb_dns_name); Slack and Teams call https://<domain_name>/..."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for domain_name, in aws_region."
  type        = string
}

variable "alb_ingress_cidrs" {
  description = "Client CIDRs allowed to reach the load balancer. Slack and the Bot Framework call from changing addresses, so keep 0.0.0.0/0 unless only the API is used."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion (set false, apply, then destroy)."
  type        = bool
  default     = true
}

# ----------------------------------------------------------------------------- image and sizes
variable "image_tag" {
  description = "Tag of the image in the ECR repository to run (tags are immutable: use the git commit)."
  type        = string
}

variable "bot_cpu" {
  description = "CPU units per bot task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "bot_memory" {
  description = "Memory per bot task in MiB."
  type        = number
  default     = 2048
}

variable "bot_min_count" {
  description = "Fewest bot tasks."
  type        = number
  default     = 2
}

variable "bot_max_count" {
  description = "Most bot tasks."
  type        = number
  default     = 4
}

variable "worker_cpu" {
  description = "CPU units per worker task (4096 = 4 vCPU)."
  type        = number
  default     = 4096
}

variable "worker_memory" {
  description = "Memory per worker task in MiB."
  type        = number
  default     = 8192
}

variable "worker_max_count" {
  description = "Most worker tasks at once (each processes one recording at a time)."
  type        = number
  default     = 10
}

variable "worker_ephemeral_storage_gib" {
  description = "Scratch disk per worker task in GiB (21-200)."
  type        = number
  default     = 50
}

variable "worker_use_spot" {
  description = "Run workers on Fargate Spot."
  type        = bool
  default     = false
}

variable "fanout_seconds" {
  description = "Recordings longer than this many seconds are cut into segments that every free worker takes (LIFESTREAM_FANOUT_SECONDS; 0: never). DEPLOY.md, section 10."
  type        = number
  default     = 900
}

variable "worker_idle_minutes" {
  description = "Minutes with an empty queue before the workers scale to zero."
  type        = number
  default     = 15
}

variable "enable_autoscaling" {
  description = "Scale the bot on CPU and the workers on queue depth (to zero when idle) with Application Auto Scaling. Keep true: without it the worker service stays at zero tasks. false only for AWS emulators without Application Auto Scaling tagging, such as moto's server in the apply test (DEPLOY.md)."
  type        = bool
  default     = true
}

# ----------------------------------------------------------------------------- data
variable "recording_retention_days" {
  description = "Days after a recording is shared before it is deleted, its minutes kept (LIFESTREAM_RECORDING_RETENTION_DAYS, every workspace's default recording_retention_days, and the S3 lifecycle rule on uploads/); null: kept as long as its meeting. The lifecycle rule deletes at this period whatever a workspace chose: a workspace may shorten it, not lengthen it."
  type        = number
  default     = 7

  validation {
    condition     = var.recording_retention_days == null || try(var.recording_retention_days >= 1 && floor(var.recording_retention_days) == var.recording_retention_days, false)
    error_message = "recording_retention_days must be a whole number of days, 1 or more, or null."
  }
}

variable "meeting_retention_days" {
  description = "Days after a recording is shared before its whole meeting is deleted: minutes, transcript, keyframes, search records, job record (LIFESTREAM_RETENTION_DAYS, every workspace's default retention_days, and the S3 lifecycle rule on results/); null: kept until someone deletes it. As for recordings, a workspace may shorten it, not lengthen it."
  type        = number
  default     = null

  validation {
    condition     = var.meeting_retention_days == null || try(var.meeting_retention_days >= 1 && floor(var.meeting_retention_days) == var.meeting_retention_days, false)
    error_message = "meeting_retention_days must be a whole number of days, 1 or more, or null."
  }
}

variable "keep_recordings" {
  description = "false: each recording is deleted as soon as its minutes are made (LIFESTREAM_KEEP_RECORDINGS, every workspace's default keep_recordings); a failed one is kept for a retry until recording_retention_days."
  type        = bool
  default     = true
}

variable "max_downloads" {
  description = "Shared recordings a bot task downloads at once (LIFESTREAM_MAX_DOWNLOADS); each may be up to the upload limit (2 GB) on the task's ephemeral storage (20 GiB), which must also keep download_free_margin_mb free."
  type        = number
  default     = 8
}

variable "max_downloads_per_user" {
  description = "Of those, at once for one person or API workspace (LIFESTREAM_MAX_DOWNLOADS_PER_USER)."
  type        = number
  default     = 5
}

variable "download_free_margin_mb" {
  description = "MB of a bot task's ephemeral storage left free after a download's size; with less, people are told to try again in a minute (LIFESTREAM_DOWNLOAD_FREE_MARGIN_MB)."
  type        = number
  default     = 1024
}

variable "deleted_object_days" {
  description = "Days a deleted or replaced recording or result stays restorable as an old S3 object version before S3 removes it for good."
  type        = number
  default     = 1
}

variable "retention_sweep_schedule" {
  description = "When the retention sweeper (lifestream sweep, a Fargate task started by EventBridge Scheduler) runs: a rate() or cron() expression."
  type        = string
  default     = "rate(1 hour)"
}

variable "s3_key_prefix" {
  description = "Key prefix inside the bucket (LIFESTREAM_S3_PREFIX), empty or ending in /, e.g. \"prod/\"."
  type        = string
  default     = ""

  validation {
    condition     = var.s3_key_prefix == "" || can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$", var.s3_key_prefix))
    error_message = "s3_key_prefix must be empty or a relative path ending in /."
  }
}

variable "queue_max_receive_count" {
  description = "Receives after which a job that keeps crashing workers moves to the dead-letter queue."
  type        = number
  default     = 5
}

variable "queue_visibility_timeout_seconds" {
  description = "Default visibility timeout of the broker queue: longer than the longest pipeline run."
  type        = number
  default     = 7200
}

variable "enable_dlq_redrive_allow_policy" {
  description = "Let only the jobs queue use the dead-letter queue (SQS redrive-allow policy). Keep true; false only for AWS emulators that do not return RedriveAllowPolicy, such as moto's server in the apply test (DEPLOY.md)."
  type        = bool
  default     = true
}

variable "jobs_hash_key" {
  description = "Partition key (string attribute) of the jobs table, as the app's DynamoDB job store expects it (\"id\")."
  type        = string
  default     = "id"
}

variable "idempotency_hash_key" {
  description = "Partition key (string attribute) of the idempotency table."
  type        = string
  default     = "id"
}

variable "ttl_attribute" {
  description = "Attribute (epoch seconds) after which DynamoDB deletes an item, in both tables."
  type        = string
  default     = "expires_at"
}

variable "table_deletion_protection" {
  description = "Protect the DynamoDB tables from deletion."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty S3 buckets and the ECR repository with its images. Keep false in production."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days to keep container logs, VPC flow logs and access logs."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarms (dead letters, bot down); null for none."
  type        = string
  default     = null
}

# ----------------------------------------------------------------------------- chat platforms
variable "enable_slack" {
  description = "Create the Slack secrets (bot token, signing secret) and inject them."
  type        = bool
  default     = true
}

variable "slack_socket_mode" {
  description = "Also create and inject LIFESTREAM_SLACK_APP_TOKEN (xapp-..., only needed for Socket Mode; the ALB deployment uses HTTP events)."
  type        = bool
  default     = false
}

variable "slack_client_id" {
  description = "The Slack app's client id (LIFESTREAM_SLACK_CLIENT_ID) to install into any number of workspaces from /slack/install; its client secret goes to Secrets Manager. null: one workspace, with a static bot token."
  type        = string
  default     = null
}

variable "enable_teams" {
  description = "Create the Teams app password secret and pass the Teams app and tenant ids."
  type        = bool
  default     = true
}

variable "teams_app_id" {
  description = "Microsoft App ID of the Azure Bot registration (LIFESTREAM_TEAMS_APP_ID); not secret."
  type        = string
  default     = null
}

variable "teams_tenant_id" {
  description = "Entra tenant ID for a single-tenant bot (LIFESTREAM_TEAMS_TENANT_ID); null for multi-tenant."
  type        = string
  default     = null
}

variable "teams_tenants" {
  description = "Entra tenant IDs a multi-tenant bot serves (LIFESTREAM_TEAMS_TENANTS); empty: any tenant that adds the app."
  type        = list(string)
  default     = []
}

variable "teams_admins" {
  description = "Who may change a tenant's LifeStream settings from Teams, as \"<tenant id>:<user's Entra object id>\" (LIFESTREAM_TEAMS_ADMINS)."
  type        = list(string)
  default     = []
}

# ----------------------------------------------------------------------------- LLM and search
variable "llm_base_url" {
  description = "Base URL of an OpenAI-compatible endpoint (LIFESTREAM_LLM_BASE_URL), e.g. https://api.openai.com/v1; null writes minutes offline."
  type        = string
  default     = null
}

variable "llm_model" {
  description = "Model name sent to the LLM endpoint (LIFESTREAM_LLM_MODEL)."
  type        = string
  default     = "gpt-4o-mini"
}

variable "llm_api_key_required" {
  description = "Create and inject LIFESTREAM_LLM_API_KEY when llm_base_url is set (false for an endpoint without keys)."
  type        = bool
  default     = true
}

variable "index_backend" {
  description = "Search index: \"local\" (a file on each task's scratch disk; not shared between tasks) or \"pinecone\" (shared; recommended on ECS)."
  type        = string
  default     = "pinecone"

  validation {
    condition     = contains(["local", "pinecone"], var.index_backend)
    error_message = "index_backend must be \"local\" or \"pinecone\"."
  }
}

variable "pinecone_index" {
  description = "Name of the Pinecone index (LIFESTREAM_PINECONE_INDEX)."
  type        = string
  default     = "lifestream"
}

variable "pinecone_host" {
  description = "Host of the Pinecone index (LIFESTREAM_PINECONE_HOST); null lets the client look it up by name."
  type        = string
  default     = null
}

variable "extra_environment" {
  description = "More plain environment variables for both containers, e.g. { LIFESTREAM_ASR_MODEL = \"base\" }. Never put secrets here."
  type        = map(string)
  default     = {}
}
