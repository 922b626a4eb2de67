# Job records (LIFESTREAM_JOBS_TABLE, with the indexes the job store queries)
# and idempotency keys (LIFESTREAM_IDEMPOTENCY_TABLE: retried Slack and Teams
# deliveries). On-demand billing: the load is a handful of writes per meeting.
# Both expire items by the TTL attribute the app fills (LIFESTREAM_DYNAMODB_TTL_ATTRIBUTE).

locals {
  tables = {
    jobs        = var.jobs_hash_key
    idempotency = var.idempotency_hash_key
  }

  # The job store's listings, each a Query newest first (range key created_at): names and keys must match
  # INDEXES in lifestream/workers/jobstore/dynamodb_schema.py. announce_pending exists only on completed or failed
  # jobs not yet announced, so that index stays as small as the announcer's backlog.
  job_indexes = {
    "by-state"        = "state"
    "by-announcement" = "announce_pending"
    "by-workspace"    = "workspace"
    "by-recording"    = "storage_key"
  }
  job_index_range_key = "created_at"
}

resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name                        = "${var.name}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = each.value
    type = "S"
  }

  dynamic "attribute" {
    for_each = each.key == "jobs" ? toset(values(local.job_indexes)) : toset([])
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "attribute" {
    for_each = each.key == "jobs" ? toset([local.job_index_range_key]) : toset([])
    content {
      name = attribute.value
      type = "N"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.key == "jobs" ? local.job_indexes : {}
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value
      range_key       = local.job_index_range_key
      projection_type = "ALL"
    }
  }

  ttl {
    attribute_name = var.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
