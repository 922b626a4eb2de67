terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # State: local by default. For a team, keep it in S3 (see DEPLOY.md), e.g.
  #   terraform init -backend-config="bucket=my-tf-state" -backend-config="key=lifestream/terraform.tfstate" \
  #                  -backend-config="region=us-east-1" -backend-config="use_lockfile=true"
  # after uncommenting:
  # backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform" }, var.tags)
  }
}
