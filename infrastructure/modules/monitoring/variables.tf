variable "name" {
  description = "Name prefix for the SNS topic and the alarms."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the SNS topic."
  type        = string
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail); null for none."
  type        = string
  default     = null
}

variable "dlq_name" {
  description = "Name of the dead-letter queue watched by the alarm."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the bot target group (CloudWatch dimension)."
  type        = string
}
