output "bucket_name" {
  description = "Name of the data bucket (LIFESTREAM_S3_BUCKET)."
  value       = aws_s3_bucket.data.id
}

output "bucket_arn" {
  description = "ARN of the data bucket."
  value       = aws_s3_bucket.data.arn
}

output "logs_bucket_name" {
  description = "Name of the log bucket (S3 server access logs under s3-access/, ALB access logs under alb/)."
  value       = aws_s3_bucket.logs.id

  # The ALB checks at creation that it may write here.
  depends_on = [aws_s3_bucket_policy.logs]
}

output "alb_log_prefix" {
  description = "Prefix the ALB writes its access logs under in the log bucket."
  value       = "alb"
}
