# The installations bucket: each Slack workspace's installation (bot token,
# refresh token), written by bolt's AmazonS3InstallationStore under
# <slack client id>/, the OAuth state values of installs under way (bucket
# root), each workspace's own settings under workspaces/, and the record of
# a workspace deletion under way under deletions/.
#
# Tokens live here, so access is narrower than the data bucket's: the bot
# tasks (OAuth installs, uninstalls, settings) read, write and delete; the
# workers read installations and settings, and write an installation back
# only when they refresh its rotating token.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  bucket_name = coalesce(var.bucket_name, "${var.name}-installations-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.name}")
  # bolt's store keeps each workspace's installation under the app's client id; nothing when Slack uses one static token.
  installation_objects = var.slack_client_id == null ? [] : ["${aws_s3_bucket.this.arn}/${var.slack_client_id}/*"]
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Installations are re-created by installing again from Slack; replicating bot tokens to a second region widens where they live for no recovery gain.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events for installation or settings objects; the app reads them on use.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  bucket = aws_s3_bucket.this.id

  target_bucket = var.access_logs_bucket
  target_prefix = "s3-access/${local.bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # A rotated or revoked token, an uninstalled workspace's installation: gone
  # the day after it was replaced or deleted, not kept as an old version.
  rule {
    id     = "old-versions"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOldTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --------------------------------------------------------------------------- access for the tasks
# The documents only: the ecs module attaches them to the task roles it owns.
data "aws_iam_policy_document" "bot" {
  # Installs (save), uninstalls (delete), OAuth states (issue, consume), settings and deletion records.
  statement {
    sid       = "Installations"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  # Deleting an installation lists its objects; without ListBucket a missing key answers 403, not 404.
  statement {
    sid       = "ListInstallations"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "EncryptedInstallations"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

data "aws_iam_policy_document" "worker" {
  # A job's workspace: its bot token (to post the minutes) and its settings (to run the job with).
  statement {
    sid       = "ReadInstallationsAndSettings"
    actions   = ["s3:GetObject"]
    resources = concat(local.installation_objects, ["${aws_s3_bucket.this.arn}/workspaces/*"])
  }

  # A rotating token refreshed before a post is saved back, as bolt does.
  dynamic "statement" {
    for_each = var.slack_client_id == null ? [] : [1]

    content {
      sid       = "SaveRefreshedTokens"
      actions   = ["s3:PutObject"]
      resources = local.installation_objects
    }
  }

  # A workspace that chose nothing has no settings object: 404 (the server's defaults), not 403.
  statement {
    sid       = "ListInstallations"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "EncryptedInstallations"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}


# The retention sweeper reads each workspace's settings (its retention periods) and nothing else.
data "aws_iam_policy_document" "sweep" {
  statement {
    sid       = "ReadSettings"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/workspaces/*"]
  }

  # A workspace that chose nothing has no settings object: 404 (the server's defaults), not 403.
  statement {
    sid       = "ListInstallations"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "EncryptedInstallations"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}
