variable "name" {
  description = "Name prefix; the buckets are <name>-data-<account>-<region> and <name>-logs-<account>-<region> unless bucket_name is set."
  type        = string
}

variable "bucket_name" {
  description = "Exact name of the data bucket (uploads/ and results/); null derives one from name, account and region."
  type        = string
  default     = null
}

variable "key_prefix" {
  description = "Prefix in front of uploads/ and results/ inside the bucket (LIFESTREAM_S3_PREFIX), e.g. \"prod/\"; empty for none."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "KMS key for the data bucket's default encryption (SSE-KMS with a bucket key)."
  type        = string
}

variable "uploads_expiration_days" {
  description = "Days after which uploaded recordings under uploads/ are deleted (results/ are kept)."
  type        = number
  default     = 7
}

variable "noncurrent_version_expiration_days" {
  description = "Days to keep overwritten or deleted object versions before they are removed for good."
  type        = number
  default     = 30
}

variable "access_log_expiration_days" {
  description = "Days to keep S3 server access logs and ALB access logs in the log bucket."
  type        = number
  default     = 365
}

variable "logged_bucket_names" {
  description = "Other buckets of the deployment whose S3 server access logs go to the log bucket (under s3-access/<bucket>/)."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (all recordings and minutes). Keep false in production."
  type        = bool
  default     = false
}
