output "queue_name" {
  description = "Name of the broker queue."
  value       = aws_sqs_queue.main.name
}

output "queue_arn" {
  description = "ARN of the broker queue."
  value       = aws_sqs_queue.main.arn
}

output "queue_url" {
  description = "URL of the broker queue."
  value       = aws_sqs_queue.main.id
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "broker_url" {
  description = "Value for LIFESTREAM_BROKER_URL."
  value       = "sqs://${aws_sqs_queue.main.name}"
}
