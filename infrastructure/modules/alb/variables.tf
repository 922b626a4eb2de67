variable "name" {
  description = "Name prefix for the load balancer, its target group and security group."
  type        = string
}

variable "vpc_id" {
  description = "VPC the load balancer and target group live in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC; the ALB may only send traffic there, to the bot's container port."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two availability zones) for the internet-facing load balancer."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate served on the HTTPS listener (must cover the public domain name)."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "ingress_cidrs" {
  description = "Client CIDRs allowed to reach ports 80 and 443. Slack and the Bot Framework call from changing public addresses, so this is normally 0.0.0.0/0."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "container_port" {
  description = "Port the bot container listens on (lifestream serve)."
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "HTTP path the target group probes on the bot containers."
  type        = string
  default     = "/healthz"
}

variable "idle_timeout" {
  description = "Seconds an idle client connection stays open (long recording uploads through the API need more than the 60-second default)."
  type        = number
  default     = 300
}

variable "access_logs_bucket" {
  description = "S3 bucket that receives the ALB access logs (SSE-S3, with a bucket policy for ELB log delivery)."
  type        = string
}

variable "access_logs_prefix" {
  description = "Prefix for the ALB access logs inside access_logs_bucket."
  type        = string
  default     = "alb"
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (turn off before terraform destroy)."
  type        = bool
  default     = true
}
