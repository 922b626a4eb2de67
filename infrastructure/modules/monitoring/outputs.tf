output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify; subscribe more endpoints (chat, pager) to it."
  value       = aws_sns_topic.alarms.arn
}

output "dlq_alarm_name" {
  description = "Name of the dead-letter-queue alarm."
  value       = aws_cloudwatch_metric_alarm.dlq.alarm_name
}
