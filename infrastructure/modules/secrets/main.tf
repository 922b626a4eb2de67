# Containers for the chat-platform, LLM, Pinecone and API secrets. Terraform
# creates the secrets but never their values, so no token ends up in the
# Terraform state or in a tfvars file. ECS injects them into the containers
# through the task definitions' `secrets` (resolved when a task starts).

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:These are tokens issued by Slack, Microsoft, the LLM vendor and Pinecone; there is no Lambda that could rotate them at the issuer, so they are rotated by hand (DEPLOY.md) and tasks pick up new values on their next start.
  for_each = var.secret_names

  name                    = "${var.name}/${each.value}"
  description             = "${var.name}: injected as ${each.key}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
}
