variable "name" {
  description = "Name prefix; each secret is stored as <name>/<secret-name>."
  type        = string
}

variable "secret_names" {
  description = "Secrets to create, keyed by the environment variable they are injected as (e.g. LIFESTREAM_SLACK_BOT_TOKEN = \"slack-bot-token\"). Values are never set by Terraform: put them with the AWS CLI (DEPLOY.md)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secret values."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once, 7-30 otherwise)."
  type        = number
  default     = 7
}
