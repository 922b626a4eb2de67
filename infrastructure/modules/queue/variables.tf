variable "queue_name" {
  description = "Name of the Dramatiq broker queue. dramatiq-sqs looks the queue up by this exact name (LIFESTREAM_BROKER_URL=sqs://<queue_name>); the DLQ is <queue_name>_dlq, the name dramatiq-sqs uses for dead letters."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts messages at rest in both queues."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "Default visibility timeout of the main queue; a received job stays hidden this long. Must exceed the longest pipeline run (dramatiq-sqs may set its own per receive)."
  type        = number
  default     = 7200
}

variable "message_retention_seconds" {
  description = "How long an unprocessed job waits in the main queue (max 14 days)."
  type        = number
  default     = 1209600
}

variable "max_receive_count" {
  description = "Receives after which a message that keeps failing is moved to the dead-letter queue."
  type        = number
  default     = 5
}

variable "dlq_retention_seconds" {
  description = "How long dead letters are kept for inspection or redrive (max 14 days)."
  type        = number
  default     = 1209600
}

variable "enable_redrive_allow_policy" {
  description = "Let only the jobs queue use the dead-letter queue (a redrive-allow policy on it). Keep true; false is for AWS emulators whose GetQueueAttributes never returns RedriveAllowPolicy (moto's server, in the apply test), where Terraform would wait for it forever."
  type        = bool
  default     = true
}
