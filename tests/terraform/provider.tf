# Copied into every stack's working directory by tfstack.run_stack, so each configs/<stack>/main.tf
# holds only its resources. Only region and keys: the endpoint comes from AWS_ENDPOINT_URL, as
# users set it.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "region" {}
variable "access_key" {}
variable "secret_key" {}

provider "aws" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key
}
