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

variable "recording_retention_days" {
  description = "Days after which recordings under uploads/ are deleted (LIFESTREAM_RECORDING_RETENTION_DAYS); null: kept as long as their meeting."
  type        = number
  default     = 7
}

variable "meeting_retention_days" {
  description = "Days after which meetings under results/ (minutes, transcripts, keyframes) are deleted (LIFESTREAM_RETENTION_DAYS); null: kept until deleted."
  type        = number
  default     = null
}

variable "deleted_object_days" {
  description = "Days a deleted or replaced recording or result stays restorable as an old object version under uploads/ and results/ before S3 removes it for good."
  type        = number
  default     = 1
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
