output "jobs_table_name" {
  description = "Name of the jobs table (LIFESTREAM_JOBS_TABLE)."
  value       = aws_dynamodb_table.this["jobs"].name
}

output "idempotency_table_name" {
  description = "Name of the idempotency table (LIFESTREAM_IDEMPOTENCY_TABLE)."
  value       = aws_dynamodb_table.this["idempotency"].name
}

output "table_arns" {
  description = "ARNs of both tables, for IAM policies."
  value       = [for t in aws_dynamodb_table.this : t.arn]
}
