# Job records (LIFESTREAM_JOBS_TABLE) and idempotency keys (retried Slack and
# Teams deliveries, API Idempotency-Key headers). On-demand billing: the load
# is a handful of writes per meeting.

locals {
  tables = {
    jobs        = var.jobs_hash_key
    idempotency = var.idempotency_hash_key
  }
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
