output "secret_arns" {
  description = "Secret ARNs keyed by the environment variable each is injected as."
  value       = { for env, s in aws_secretsmanager_secret.this : env => s.arn }
}

output "secret_names" {
  description = "Secret names (for aws secretsmanager put-secret-value --secret-id) keyed by environment variable."
  value       = { for env, s in aws_secretsmanager_secret.this : env => s.name }
}
