# LifeStream on AWS: one image, two Fargate services.
#
#   Slack / Teams / API --HTTPS--> ALB (public subnets) --> bot tasks (lifestream serve)
#                                                               |  S3 uploads/, DynamoDB jobs, SQS send
#                                                               v
#                                   SQS <name>-jobs (DLQ <name>-jobs_dlq, alarm -> SNS)
#                                                               |
#                                   worker tasks (lifestream worker, 4 vCPU / 8 GB, 0..N on queue depth)
#                                       S3 uploads/ -> results/, DynamoDB, LLM endpoint, Pinecone
#
#   S3 <name>-installations-*: each Slack workspace's installation (tokens) and each workspace's settings;
#   the bot writes them, workers read them (and save refreshed rotating tokens).
#
# See DEPLOY.md for the order of operations (ECR first, push an image, then the rest).

data "aws_caller_identity" "current" {}

locals {
  create_vpc = var.vpc_id == null

  vpc_id             = local.create_vpc ? one(module.network[*].vpc_id) : var.vpc_id
  vpc_cidr           = local.create_vpc ? one(module.network[*].vpc_cidr_block) : var.existing_vpc_cidr
  public_subnet_ids  = local.create_vpc ? one(module.network[*].public_subnet_ids) : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? one(module.network[*].private_subnet_ids) : var.private_subnet_ids

  # Named here, not in its module: the log bucket (storage) must admit its access logs before it exists.
  installations_bucket = "${var.name}-installations-${data.aws_caller_identity.current.account_id}-${var.aws_region}"

  # dramatiq-sqs looks queues up by name: LIFESTREAM_BROKER_URL=sqs://<queue_name>.
  queue_name = "${var.name}-jobs"

  # Secrets, as the environment variables they are injected as. Only the
  # ones a deployment uses are created: ECS refuses to start a task whose
  # secret has no value yet. Each is stored as <name>/<slack-bot-token ...>.
  secret_envs = concat(
    # One workspace: its bot token. Any number ("Add to Slack"): the app's client secret, which workers
    # also need, to refresh rotating tokens.
    var.enable_slack ? ["LIFESTREAM_SLACK_SIGNING_SECRET"] : [],
    var.enable_slack && var.slack_client_id == null ? ["LIFESTREAM_SLACK_BOT_TOKEN"] : [],
    var.enable_slack && var.slack_client_id != null ? ["LIFESTREAM_SLACK_CLIENT_SECRET"] : [],
    var.enable_slack && var.slack_socket_mode ? ["LIFESTREAM_SLACK_APP_TOKEN"] : [],
    var.enable_teams ? ["LIFESTREAM_TEAMS_APP_PASSWORD"] : [],
    var.llm_base_url != null && var.llm_api_key_required ? ["LIFESTREAM_LLM_API_KEY"] : [],
    var.index_backend == "pinecone" ? ["LIFESTREAM_PINECONE_API_KEY"] : [],
    ["LIFESTREAM_API_TOKENS", "LIFESTREAM_LINK_SECRET"],
  )
  secret_names = { for env in local.secret_envs : env => lower(replace(trimprefix(env, "LIFESTREAM_"), "_", "-")) }

  # Secrets that verify inbound requests stay with the bot; the worker gets
  # the ones it calls out with (posting finished minutes, LLM, Pinecone, links).
  bot_only_secrets = ["LIFESTREAM_SLACK_SIGNING_SECRET", "LIFESTREAM_SLACK_APP_TOKEN", "LIFESTREAM_API_TOKENS"]

  environment = {
    for k, v in merge({
      AWS_REGION                   = var.aws_region
      AWS_DEFAULT_REGION           = var.aws_region
      LIFESTREAM_S3_BUCKET         = module.storage.bucket_name
      LIFESTREAM_S3_REGION         = var.aws_region
      LIFESTREAM_S3_PREFIX         = var.s3_key_prefix
      LIFESTREAM_JOBS_TABLE        = module.tables.jobs_table_name
      LIFESTREAM_IDEMPOTENCY_TABLE = module.tables.idempotency_table_name
      LIFESTREAM_BROKER_URL        = module.queue.broker_url
      LIFESTREAM_INDEX_BACKEND     = var.index_backend
      LIFESTREAM_PINECONE_INDEX    = var.index_backend == "pinecone" ? var.pinecone_index : null
      LIFESTREAM_PINECONE_HOST     = var.index_backend == "pinecone" ? var.pinecone_host : null
      LIFESTREAM_LLM_BASE_URL      = var.llm_base_url
      LIFESTREAM_LLM_MODEL         = var.llm_model
      LIFESTREAM_PUBLIC_URL        = "https://${var.domain_name}"
      LIFESTREAM_TEAMS_APP_ID      = var.enable_teams ? var.teams_app_id : null
      LIFESTREAM_TEAMS_TENANT_ID   = var.enable_teams ? var.teams_tenant_id : null
      LIFESTREAM_TEAMS_TENANTS     = var.enable_teams && length(var.teams_tenants) > 0 ? jsonencode(var.teams_tenants) : null
      LIFESTREAM_TEAMS_ADMINS      = var.enable_teams && length(var.teams_admins) > 0 ? jsonencode(var.teams_admins) : null
      LIFESTREAM_SLACK_CLIENT_ID   = var.enable_slack ? var.slack_client_id : null
      # The tables' TTL attribute: the app writes each item's expiry there (seen chat events, finished jobs).
      LIFESTREAM_DYNAMODB_TTL_ATTRIBUTE = var.ttl_attribute
      # Installations and workspace settings: shared by every task (a task's own disk is not).
      LIFESTREAM_INSTALLATIONS_BUCKET = module.installations.bucket_name
      # Every workspace's retention defaults (a workspace may choose its own in its settings); the sweeper
      # applies them, and the bucket's lifecycle rules delete at the same periods whatever a workspace chose.
      LIFESTREAM_RETENTION_DAYS           = var.meeting_retention_days == null ? null : tostring(var.meeting_retention_days)
      LIFESTREAM_RECORDING_RETENTION_DAYS = var.recording_retention_days == null ? null : tostring(var.recording_retention_days)
      LIFESTREAM_KEEP_RECORDINGS          = tostring(var.keep_recordings)
      # A long meeting's segments go to every free worker, as messages of their own on the same queue.
      LIFESTREAM_FANOUT_SECONDS = tostring(var.fanout_seconds)
      # ... in as many segments as fill the fleet's rounds (the fewest rounds, none half empty).
      LIFESTREAM_FANOUT_WORKERS = tostring(var.worker_max_count)
      # Downloads of shared recordings in a bot task: a few at once, within its ephemeral storage.
      LIFESTREAM_MAX_DOWNLOADS           = tostring(var.max_downloads)
      LIFESTREAM_MAX_DOWNLOADS_PER_USER  = tostring(var.max_downloads_per_user)
      LIFESTREAM_DOWNLOAD_FREE_MARGIN_MB = tostring(var.download_free_margin_mb)
    }, var.extra_environment) : k => v if v != null && v != ""
  }
}

module "kms" {
  source = "./modules/kms"

  name = var.name
}

module "network" {
  source = "./modules/network"
  count  = local.create_vpc ? 1 : 0

  name               = var.name
  cidr_block         = var.vpc_cidr
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
}

module "storage" {
  source = "./modules/storage"

  name                       = var.name
  key_prefix                 = var.s3_key_prefix
  kms_key_arn                = module.kms.key_arn
  recording_retention_days   = var.recording_retention_days
  meeting_retention_days     = var.meeting_retention_days
  deleted_object_days        = var.deleted_object_days
  access_log_expiration_days = var.log_retention_days
  force_destroy              = var.force_destroy
  logged_bucket_names        = [local.installations_bucket]
}

module "installations" {
  source = "./modules/installations"

  name               = var.name
  bucket_name        = local.installations_bucket
  kms_key_arn        = module.kms.key_arn
  access_logs_bucket = module.storage.logs_bucket_name
  slack_client_id    = var.enable_slack ? var.slack_client_id : null
  force_destroy      = var.force_destroy
}

module "queue" {
  source = "./modules/queue"

  queue_name                 = local.queue_name
  kms_key_arn                = module.kms.key_arn
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  max_receive_count          = var.queue_max_receive_count

  enable_redrive_allow_policy = var.enable_dlq_redrive_allow_policy
}

module "tables" {
  source = "./modules/tables"

  name                 = var.name
  kms_key_arn          = module.kms.key_arn
  jobs_hash_key        = var.jobs_hash_key
  idempotency_hash_key = var.idempotency_hash_key
  ttl_attribute        = var.ttl_attribute
  deletion_protection  = var.table_deletion_protection
}

module "registry" {
  source = "./modules/registry"

  name         = var.name
  kms_key_arn  = module.kms.key_arn
  force_delete = var.force_destroy
}

module "secrets" {
  source = "./modules/secrets"

  name         = var.name
  secret_names = local.secret_names
  kms_key_arn  = module.kms.key_arn
}

module "alb" {
  source = "./modules/alb"

  name                = var.name
  vpc_id              = local.vpc_id
  vpc_cidr_block      = local.vpc_cidr
  public_subnet_ids   = local.public_subnet_ids
  certificate_arn     = var.certificate_arn
  ingress_cidrs       = var.alb_ingress_cidrs
  access_logs_bucket  = module.storage.logs_bucket_name
  access_logs_prefix  = module.storage.alb_log_prefix
  deletion_protection = var.alb_deletion_protection
}

module "ecs" {
  source = "./modules/ecs"

  name                  = var.name
  aws_region            = var.aws_region
  vpc_id                = local.vpc_id
  private_subnet_ids    = local.private_subnet_ids
  kms_key_arn           = module.kms.key_arn
  image                 = "${module.registry.repository_url}:${var.image_tag}"
  ecr_repository_arn    = module.registry.repository_arn
  alb_security_group_id = module.alb.security_group_id
  target_group_arn      = module.alb.target_group_arn
  environment           = local.environment

  bot_policies    = { installations = module.installations.bot_policy_json }
  worker_policies = { installations = module.installations.worker_policy_json }
  sweep_policies  = { installations = module.installations.sweep_policy_json }

  bot_secret_arns    = module.secrets.secret_arns
  worker_secret_arns = { for env, arn in module.secrets.secret_arns : env => arn if !contains(local.bot_only_secrets, env) }
  sweep_secret_arns  = { for env, arn in module.secrets.secret_arns : env => arn if env == "LIFESTREAM_PINECONE_API_KEY" }
  sweep_schedule     = var.retention_sweep_schedule

  bucket_arn    = module.storage.bucket_arn
  s3_key_prefix = var.s3_key_prefix
  queue_arn     = module.queue.queue_arn
  queue_name    = module.queue.queue_name
  dlq_arn       = module.queue.dlq_arn
  table_arns    = module.tables.table_arns

  log_retention_days = var.log_retention_days

  bot_cpu       = var.bot_cpu
  bot_memory    = var.bot_memory
  bot_min_count = var.bot_min_count
  bot_max_count = var.bot_max_count

  worker_cpu                   = var.worker_cpu
  worker_memory                = var.worker_memory
  worker_max_count             = var.worker_max_count
  worker_ephemeral_storage_gib = var.worker_ephemeral_storage_gib
  worker_use_spot              = var.worker_use_spot
  worker_idle_minutes          = var.worker_idle_minutes

  enable_autoscaling = var.enable_autoscaling
}

module "monitoring" {
  source = "./modules/monitoring"

  name                    = var.name
  kms_key_arn             = module.kms.key_arn
  alarm_email             = var.alarm_email
  dlq_name                = module.queue.dlq_name
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
}
