# ECS cluster with two Fargate services running the same image:
#   bot    - lifestream serve behind the ALB, scaled on CPU (min 2, one per AZ)
#   worker - lifestream worker, 4 vCPU / 8 GB, scaled on the SQS queue:
#            out by step scaling while jobs wait (ApproximateNumberOfMessagesVisible > 0),
#            in to zero only once nothing is waiting or in flight for worker_idle_minutes,
#            so a busy worker is never stopped by a scale-in.
# and one scheduled task:
#   sweep  - lifestream sweep, the retention sweeper, started by EventBridge Scheduler
#            (sweep_schedule, hourly): the workers may be at zero for days and the bot
#            runs in several copies, so neither is the place for it.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account    = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  data_mount = "/var/lib/lifestream"

  # Each kind of task (its log group, execution role and task role) with the secrets it gets.
  services = {
    bot    = var.bot_secret_arns
    worker = var.worker_secret_arns
    sweep  = var.sweep_secret_arns
  }

  environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]

  # Shared by both containers. The root filesystem is read-only; everything
  # the app writes (data dir, temp files, caches) goes to the task's ephemeral
  # volume mounted at /var/lib/lifestream (the image declares it a VOLUME so
  # Fargate copies the directory layout and ownership into it).
  container_base = {
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    privileged             = false
    environment            = local.environment
    mountPoints            = [{ sourceVolume = "scratch", containerPath = local.data_mount, readOnly = false }]
    linuxParameters        = { initProcessEnabled = true }
    ulimits                = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
  }

  # Every top-level folder the app keeps in the data bucket (lifestream/storage/base.py, lifestream/people/records.py).
  s3_objects = [
    "${var.bucket_arn}/${var.s3_key_prefix}uploads/*",
    "${var.bucket_arn}/${var.s3_key_prefix}results/*",
    local.people_objects,
  ]
  # A workspace's people: the chat members the bot saves (rosters) and, opt-in, their voiceprints, which a
  # worker reads to name speakers and writes when it learns a voice.
  people_objects = "${var.bucket_arn}/${var.s3_key_prefix}people/*"
  # A publication stages its files under results/<job>/.versions/ and, once they are live, deletes the
  # staged copies for good, versions and all (lifestream/storage/s3.py, _discard). Only there may the app
  # delete a version: every other deleted object stays restorable for deleted_object_days.
  staged_copies   = "${var.bucket_arn}/${var.s3_key_prefix}results/*/.versions/*"
  table_resources = concat(var.table_arns, [for arn in var.table_arns : "${arn}/index/*"])
  dynamodb_rw = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
  ]
}

# --------------------------------------------------------------------------- logs
resource "aws_cloudwatch_log_group" "service" {
  for_each = local.services

  name              = "/${var.name}/ecs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/${var.name}/ecs/exec"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# --------------------------------------------------------------------------- cluster
resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# --------------------------------------------------------------------------- IAM
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${var.aws_region}:${local.account}:*"]
    }
  }
}

# Execution roles: what ECS itself needs to start a task (pull the image,
# write its logs, read the secrets it injects) - one per service, so the
# worker cannot read the bot's inbound-verification secrets.
resource "aws_iam_role" "execution" {
  for_each = local.services

  name_prefix        = "${var.name}-${each.key}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  for_each = local.services

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }

  statement {
    sid = "EcrPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = length(each.value) > 0 ? [values(each.value)] : []

    content {
      sid       = "InjectSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  statement {
    sid       = "DecryptImagesAndSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.services

  name   = "start-${each.key}-task"
  role   = aws_iam_role.execution[each.key].id
  policy = data.aws_iam_policy_document.execution[each.key].json
}

# Task roles: what the app itself calls.
resource "aws_iam_role" "task" {
  for_each = local.services

  name_prefix        = "${var.name}-${each.key}-task-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "bot" {
  statement {
    sid       = "RecordingsAndResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = local.s3_objects
  }

  # A rename publishes the meeting's rewritten files (put_files).
  statement {
    sid       = "DiscardStagedCopies"
    actions   = ["s3:DeleteObjectVersion"]
    resources = [local.staged_copies]
  }

  # Without ListBucket, HEAD on a missing key answers 403 instead of 404, and
  # the storage adapter cannot tell "not there yet" from "access denied".
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }

  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arn]
  }

  # dramatiq-sqs (dead_letter=True) looks the dead-letter queue up by name
  # before its first enqueue; without this the lookup, and so the enqueue, fails.
  statement {
    sid       = "FindDeadLetterQueue"
    actions   = ["sqs:GetQueueUrl"]
    resources = [var.dlq_arn]
  }

  statement {
    sid       = "JobsAndIdempotency"
    actions   = local.dynamodb_rw
    resources = local.table_resources
  }

  statement {
    sid       = "EncryptedData"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

data "aws_iam_policy_document" "worker" {
  # DeleteObject: with keep_recordings = false a recording is deleted as soon as its minutes are made.
  statement {
    sid       = "ReadRecordings"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/${var.s3_key_prefix}uploads/*"]
  }

  # put_dir uploads a job's results, checks each object, and deletes results
  # left over from an earlier run of the same job.
  statement {
    sid       = "WriteResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/${var.s3_key_prefix}results/*"]
  }

  statement {
    sid       = "DiscardStagedCopies"
    actions   = ["s3:DeleteObjectVersion"]
    resources = [local.staged_copies]
  }

  # Rosters read to name speakers; voiceprints read to recognise them and written when a voice is learnt.
  statement {
    sid       = "PeopleOfTheWorkspace"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.people_objects]
  }

  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }

  # SendMessage: Dramatiq's Retries middleware re-enqueues a failed job with a delay.
  statement {
    sid = "ConsumeJobs"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:SendMessage",
    ]
    resources = [var.queue_arn]
  }

  # dramatiq-sqs (dead_letter=True) sends jobs that failed for good to <queue>_dlq.
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
    resources = [var.dlq_arn]
  }

  statement {
    sid       = "JobsAndIdempotency"
    actions   = local.dynamodb_rw
    resources = local.table_resources
  }

  statement {
    sid       = "EncryptedData"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

# The sweeper lists the bucket and deletes recordings and results (never reads them), reads (through
# sweep_policies) each workspace's settings in the installations bucket, reads and updates job records, and deletes search records in Pinecone
# (its key is its only secret).
data "aws_iam_policy_document" "sweep" {
  statement {
    sid       = "DeleteRecordingsAndResults"
    actions   = ["s3:DeleteObject"]
    resources = local.s3_objects
  }

  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }

  statement {
    # Query: every listing reads the job store's indexes; Scan: its upkeep pass (JobStore.settle_records).
    sid       = "Jobs"
    actions   = ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = local.table_resources
  }

  statement {
    sid       = "EncryptedData"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "bot" {
  name   = "bot-app"
  role   = aws_iam_role.task["bot"].id
  policy = data.aws_iam_policy_document.bot.json
}

resource "aws_iam_role_policy" "worker" {
  name   = "worker-app"
  role   = aws_iam_role.task["worker"].id
  policy = data.aws_iam_policy_document.worker.json
}

resource "aws_iam_role_policy" "sweep" {
  name   = "sweep-app"
  role   = aws_iam_role.task["sweep"].id
  policy = data.aws_iam_policy_document.sweep.json
}

# Access to resources of other modules (the installations bucket), as they describe it.
resource "aws_iam_role_policy" "extra" {
  for_each = merge(
    { for name, policy in var.bot_policies : "bot-${name}" => { role = "bot", policy = policy } },
    { for name, policy in var.worker_policies : "worker-${name}" => { role = "worker", policy = policy } },
    { for name, policy in var.sweep_policies : "sweep-${name}" => { role = "sweep", policy = policy } },
  )

  name   = each.key
  role   = aws_iam_role.task[each.value.role].id
  policy = each.value.policy
}

# --------------------------------------------------------------------------- security groups
resource "aws_security_group" "bot" {
  name_prefix = "${var.name}-bot-"
  description = "${var.name} bot tasks: in from the ALB on the app port, out HTTPS only"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "bot_from_alb" {
  security_group_id            = aws_security_group.bot.id
  description                  = "App port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_security_group" "worker" {
  name_prefix = "${var.name}-worker-"
  description = "${var.name} worker tasks: nothing in, out HTTPS only"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = {
    for pair in setproduct(["bot", "worker"], var.egress_cidrs) : "${pair[0]}-${pair[1]}" => {
      sg   = pair[0] == "bot" ? aws_security_group.bot.id : aws_security_group.worker.id
      cidr = pair[1]
    }
  }

  security_group_id = each.value.sg
  description       = "HTTPS to AWS APIs, Slack, Bot Framework, LLM endpoint, Pinecone"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value.cidr
}

# --------------------------------------------------------------------------- task definitions
resource "aws_ecs_task_definition" "bot" {
  family                   = "${var.name}-bot"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.bot_cpu
  memory                   = var.bot_memory
  execution_role_arn       = aws_iam_role.execution["bot"].arn
  task_role_arn            = aws_iam_role.task["bot"].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    name         = "bot"
    command      = ["lifestream", "serve"]
    portMappings = [{ containerPort = var.container_port, hostPort = var.container_port, protocol = "tcp" }]
    secrets      = [for k in sort(keys(var.bot_secret_arns)) : { name = k, valueFrom = var.bot_secret_arns[k] }]
    stopTimeout  = 30
    healthCheck = {
      command = [
        "CMD", "python", "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.container_port}${var.health_check_path}', timeout=4)",
      ]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["bot"].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "bot"
      }
    }
  })])
}

# The worker serves no HTTP, so it has no container health check (the
# image's HEALTHCHECK probes /healthz and ECS ignores image health checks).
# ECS replaces the task if the essential container exits.
resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution["worker"].arn
  task_role_arn            = aws_iam_role.task["worker"].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  ephemeral_storage {
    size_in_gib = var.worker_ephemeral_storage_gib
  }

  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    name    = "worker"
    command = ["lifestream", "worker"]
    secrets = [for k in sort(keys(var.worker_secret_arns)) : { name = k, valueFrom = var.worker_secret_arns[k] }]
    # Fargate's maximum: time for the job in hand to finish or be handed back.
    stopTimeout = 120
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["worker"].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "worker"
      }
    }
  })])
}

# The retention sweeper: one short task per schedule tick, in the workers' security group (nothing in,
# HTTPS out) and their subnets.
resource "aws_ecs_task_definition" "sweep" {
  family                   = "${var.name}-sweep"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.sweep_cpu
  memory                   = var.sweep_memory
  execution_role_arn       = aws_iam_role.execution["sweep"].arn
  task_role_arn            = aws_iam_role.task["sweep"].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([merge(local.container_base, {
    name    = "sweep"
    command = ["lifestream", "sweep"]
    secrets = [for k in sort(keys(var.sweep_secret_arns)) : { name = k, valueFrom = var.sweep_secret_arns[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["sweep"].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "sweep"
      }
    }
  })])
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name_prefix        = "${var.name}-sweep-start-"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

# What EventBridge Scheduler needs to start the sweep task: that task definition, on this cluster, with
# its two roles; and the key the schedule is encrypted with.
data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunSweepTask"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${local.partition}:ecs:${var.aws_region}:${local.account}:task-definition/${aws_ecs_task_definition.sweep.family}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    sid       = "PassSweepRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution["sweep"].arn, aws_iam_role.task["sweep"].arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptedSchedule"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-sweep-task"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "sweep" {
  name                = "${var.name}-retention-sweep"
  description         = "Runs lifestream sweep: deletes the recordings and meetings the retention rules say are due."
  schedule_expression = var.sweep_schedule
  kms_key_arn         = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.sweep.arn
      task_count          = 1
      launch_type         = "FARGATE"
      platform_version    = "LATEST"

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.worker.id]
        assign_public_ip = false
      }
    }

    # A tick that cannot start is retried within the hour; the next tick covers anything missed.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# --------------------------------------------------------------------------- services
resource "aws_ecs_service" "bot" {
  name                               = "bot"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.bot.arn
  desired_count                      = var.bot_min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = 90
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.bot.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "bot"
    container_port   = var.container_port
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }
}

resource "aws_ecs_service" "worker" {
  name                               = "worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.worker.arn
  desired_count                      = 0
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  # On demand: the FARGATE launch type. Spot: the cluster's FARGATE_SPOT
  # capacity provider (a service takes one or the other, never both).
  launch_type = var.worker_use_spot ? null : "FARGATE"

  dynamic "capacity_provider_strategy" {
    for_each = var.worker_use_spot ? ["FARGATE_SPOT"] : []

    content {
      capacity_provider = capacity_provider_strategy.value
      weight            = 1
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

# --------------------------------------------------------------------------- bot autoscaling (CPU)
# Everything below exists only with enable_autoscaling (see its description):
# without it the counts stay where the services start them.
resource "aws_appautoscaling_target" "bot" {
  count = var.enable_autoscaling ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.bot.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.bot_min_count
  max_capacity       = var.bot_max_count
}

resource "aws_appautoscaling_policy" "bot_cpu" {
  count = var.enable_autoscaling ? 1 : 0

  name               = "${var.name}-bot-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.bot[0].service_namespace
  resource_id        = aws_appautoscaling_target.bot[0].resource_id
  scalable_dimension = aws_appautoscaling_target.bot[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.bot_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# --------------------------------------------------------------------------- worker autoscaling (SQS)
resource "aws_appautoscaling_target" "worker" {
  count = var.enable_autoscaling ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 0
  max_capacity       = var.worker_max_count
}

# Jobs waiting (visible) means no worker is free: add 1, 2 or 4 workers by
# how many wait, again every cooldown while any still wait. Bounds are
# relative to the alarm threshold of 0.5 messages.
resource "aws_appautoscaling_policy" "worker_out" {
  count = var.enable_autoscaling ? 1 : 0

  name               = "${var.name}-worker-scale-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker[0].service_namespace
  resource_id        = aws_appautoscaling_target.worker[0].resource_id
  scalable_dimension = aws_appautoscaling_target.worker[0].scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.worker_scale_out_cooldown
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      metric_interval_upper_bound = 4
      scaling_adjustment          = 1
    }

    step_adjustment {
      metric_interval_lower_bound = 4
      metric_interval_upper_bound = 19
      scaling_adjustment          = 2
    }

    step_adjustment {
      metric_interval_lower_bound = 19
      scaling_adjustment          = 4
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_jobs_waiting" {
  count = var.enable_autoscaling ? 1 : 0

  alarm_name          = "${var.name}-worker-jobs-waiting"
  alarm_description   = "Jobs wait in ${var.queue_name} with no free worker: scale the workers out."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0.5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_out[0].arn]
}

# Scale in only to zero, and only when nothing is waiting AND nothing is in
# flight: stopping one of several busy workers would kill a running job.
resource "aws_appautoscaling_policy" "worker_in" {
  count = var.enable_autoscaling ? 1 : 0

  name               = "${var.name}-worker-scale-to-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker[0].service_namespace
  resource_id        = aws_appautoscaling_target.worker[0].resource_id
  scalable_dimension = aws_appautoscaling_target.worker[0].scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = 0
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_idle" {
  count = var.enable_autoscaling ? 1 : 0

  alarm_name          = "${var.name}-worker-idle"
  alarm_description   = "${var.queue_name} has had no waiting or running job for ${var.worker_idle_minutes} minutes: scale the workers to zero."
  comparison_operator = "LessThanThreshold"
  threshold           = 0.5
  evaluation_periods  = var.worker_idle_minutes
  datapoints_to_alarm = var.worker_idle_minutes
  # SQS stops publishing metrics for a queue that has been inactive for hours: that is idle too.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_appautoscaling_policy.worker_in[0].arn]

  metric_query {
    id          = "jobs"
    expression  = "FILL(waiting, 0) + FILL(running, 0)"
    label       = "Jobs waiting or running"
    return_data = true
  }

  metric_query {
    id = "waiting"

    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = var.queue_name }
      period      = 60
      stat        = "Maximum"
    }
  }

  metric_query {
    id = "running"

    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesNotVisible"
      dimensions  = { QueueName = var.queue_name }
      period      = 60
      stat        = "Maximum"
    }
  }
}

# Addresses from before enable_autoscaling put a count on these resources.
moved {
  from = aws_appautoscaling_target.bot
  to   = aws_appautoscaling_target.bot[0]
}

moved {
  from = aws_appautoscaling_policy.bot_cpu
  to   = aws_appautoscaling_policy.bot_cpu[0]
}

moved {
  from = aws_appautoscaling_target.worker
  to   = aws_appautoscaling_target.worker[0]
}

moved {
  from = aws_appautoscaling_policy.worker_out
  to   = aws_appautoscaling_policy.worker_out[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.worker_jobs_waiting
  to   = aws_cloudwatch_metric_alarm.worker_jobs_waiting[0]
}

moved {
  from = aws_appautoscaling_policy.worker_in
  to   = aws_appautoscaling_policy.worker_in[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.worker_idle
  to   = aws_cloudwatch_metric_alarm.worker_idle[0]
}
