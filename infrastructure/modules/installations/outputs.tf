output "bucket_name" {
  description = "The installations bucket (LIFESTREAM_INSTALLATIONS_BUCKET)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the installations bucket."
  value       = aws_s3_bucket.this.arn
}

output "bot_policy_json" {
  description = "What the bot tasks need on the bucket: installs, uninstalls, OAuth states, settings."
  value       = data.aws_iam_policy_document.bot.json
}

output "worker_policy_json" {
  description = "What the worker tasks need on the bucket: read installations and settings, save refreshed tokens."
  value       = data.aws_iam_policy_document.worker.json
}

output "sweep_policy_json" {
  description = "What the retention sweeper needs on the bucket: read each workspace's settings."
  value       = data.aws_iam_policy_document.sweep.json
}
