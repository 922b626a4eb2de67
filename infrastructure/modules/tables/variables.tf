variable "name" {
  description = "Name prefix; the tables are <name>-jobs and <name>-idempotency."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption of both tables."
  type        = string
}

variable "jobs_hash_key" {
  description = "Partition-key attribute (string) of the jobs table; must match the app's DynamoDB job store (lifestream/workers/jobstore/dynamodb.py: \"id\")."
  type        = string
  default     = "id"
}

variable "idempotency_hash_key" {
  description = "Partition-key attribute (string) of the idempotency table (Slack/Teams event ids, API idempotency keys)."
  type        = string
  default     = "id"
}

variable "ttl_attribute" {
  description = "Attribute holding an item's expiry as epoch seconds; DynamoDB deletes expired items (TTL) in both tables."
  type        = string
  default     = "expires_at"
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (turn off before terraform destroy)."
  type        = bool
  default     = true
}
