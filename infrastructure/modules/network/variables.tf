variable "name" {
  description = "Name prefix for the VPC and its parts; the flow-log group is /<name>/vpc/flow-logs."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC; public and private subnets are carved out of it (/20 each for a /16)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets over (2 or more)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all private subnets (cheaper) instead of one per availability zone (survives an AZ outage)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the VPC flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365
}
