variable "name" {
  description = "Name prefix for the key alias and for the CloudWatch log groups allowed to use the key (log groups named /<name>/...)."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits before the key is destroyed (7-30)."
  type        = number
  default     = 30
}
