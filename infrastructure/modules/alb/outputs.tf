output "dns_name" {
  description = "DNS name of the load balancer; point the public domain (CNAME or Route 53 alias) at it."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted-zone ID of the load balancer, for an alias record."
  value       = aws_lb.this.zone_id
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer, the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "ARN of the bot target group."
  value       = aws_lb_target_group.bot.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the bot target group, the TargetGroup dimension of its CloudWatch metrics."
  value       = aws_lb_target_group.bot.arn_suffix
}

output "security_group_id" {
  description = "Security group of the load balancer; the bot tasks accept traffic only from it."
  value       = aws_security_group.alb.id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}
