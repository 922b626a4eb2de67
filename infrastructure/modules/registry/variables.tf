variable "name" {
  description = "Name of the ECR repository."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "keep_images" {
  description = "How many most recent images to keep; older ones are expired by the lifecycle policy."
  type        = number
  default     = 30
}

variable "force_delete" {
  description = "Allow terraform destroy to delete the repository while it still holds images."
  type        = bool
  default     = false
}
