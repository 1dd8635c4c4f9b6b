# S3 event notifications: a bucket notifying a queue whose policy lets S3 send for that bucket
# (S3 tests the destination with an s3:TestEvent when the configuration is saved), with
# prefix/suffix filters, a topic whose policy lets S3 publish, and EventBridge on. The provider block sets only region and keys: the
# endpoint comes from AWS_ENDPOINT_URL, as users set it.
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

data "aws_caller_identity" "me" {}

resource "aws_s3_bucket" "uploads" {
  bucket = "tf-notify-uploads"
}

resource "aws_sqs_queue" "uploads" {
  name = "tf-notify-uploads"
}

resource "aws_sqs_queue" "deletes" {
  name = "tf-notify-deletes"
}

resource "aws_sqs_queue_policy" "uploads" {
  queue_url = aws_sqs_queue.uploads.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "FromS3"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.uploads.arn
      Condition = {
        ArnLike      = { "aws:SourceArn" = aws_s3_bucket.uploads.arn }
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.me.account_id }
      }
    }]
  })
}

resource "aws_sqs_queue_policy" "deletes" {
  queue_url = aws_sqs_queue.deletes.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.deletes.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_s3_bucket.uploads.arn } }
    }]
  })
}

resource "aws_sns_topic" "documents" {
  name = "tf-notify-documents"
}

resource "aws_sns_topic_policy" "documents" {
  arn = aws_sns_topic.documents.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "SNS:Publish"
      Resource  = aws_sns_topic.documents.arn
      Condition = { ArnLike = { "aws:SourceArn" = aws_s3_bucket.uploads.arn } }
    }]
  })
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket      = aws_s3_bucket.uploads.id
  eventbridge = true

  queue {
    id            = "images"
    queue_arn     = aws_sqs_queue.uploads.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "images/"
    filter_suffix = ".jpg"
  }

  topic {
    id            = "documents"
    topic_arn     = aws_sns_topic.documents.arn
    events        = ["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"]
    filter_prefix = "documents/"
  }

  queue {
    id        = "deletes"
    queue_arn = aws_sqs_queue.deletes.arn
    events    = ["s3:ObjectRemoved:*"]
  }

  # The queues must allow S3 before S3 accepts them as destinations.
  depends_on = [aws_sqs_queue_policy.uploads, aws_sqs_queue_policy.deletes, aws_sns_topic_policy.documents]
}
