variable "name" {
  description = "Name prefix of the bucket."
  type        = string
}

variable "bucket_name" {
  description = "The bucket's name; null: <name>-installations-<account>-<region>."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key the bucket encrypts installations (bot tokens) with."
  type        = string
}

variable "access_logs_bucket" {
  description = "Bucket that receives the S3 server access logs (its policy must admit this bucket's logs)."
  type        = string
}

variable "slack_client_id" {
  description = "The Slack app's client id when it installs by OAuth (bolt keeps installations under it); null with one static bot token."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket with its objects (disposable deployments only)."
  type        = bool
  default     = false
}
