# SNS fan-out: a standard and a FIFO topic, a topic policy, SQS subscriptions (one raw with a
# filter policy on the message body, one FIFO) into queues whose policies allow the topics.
# The endpoint comes from AWS_ENDPOINT_URL (see tests/terraform/provider.tf).
data "aws_caller_identity" "me" {}

resource "aws_sns_topic" "orders" {
  name              = "tf-orders"
  display_name      = "Orders"
  signature_version = 2
  tags              = { env = "test" }
}

resource "aws_sns_topic" "ledger" {
  name                        = "tf-ledger.fifo"
  fifo_topic                  = true
  content_based_deduplication = true
}

resource "aws_sns_topic_policy" "orders" {
  arn = aws_sns_topic.orders.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OwnerPublishes"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }
      Action    = ["SNS:Publish", "SNS:Subscribe"]
      Resource  = aws_sns_topic.orders.arn
    }]
  })
}

resource "aws_sqs_queue" "big_orders" {
  name = "tf-big-orders"
}

resource "aws_sqs_queue" "all_orders" {
  name = "tf-all-orders"
}

resource "aws_sqs_queue" "ledger" {
  name       = "tf-ledger.fifo"
  fifo_queue = true
}

resource "aws_sqs_queue_policy" "big_orders" {
  queue_url = aws_sqs_queue.big_orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.big_orders.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.orders.arn } }
    }]
  })
}

resource "aws_sqs_queue_policy" "ledger" {
  queue_url = aws_sqs_queue.ledger.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.ledger.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.ledger.arn } }
    }]
  })
}

resource "aws_sns_topic_subscription" "big_orders" {
  topic_arn            = aws_sns_topic.orders.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.big_orders.arn
  raw_message_delivery = true
  filter_policy_scope  = "MessageBody"
  filter_policy = jsonencode({
    total = [{ numeric = [">=", 100] }]
  })
}

resource "aws_sns_topic_subscription" "all_orders" {
  topic_arn = aws_sns_topic.orders.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.all_orders.arn
  filter_policy = jsonencode({
    kind = ["order", { prefix = "return-" }]
  })
}

resource "aws_sns_topic_subscription" "ledger" {
  topic_arn = aws_sns_topic.ledger.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.ledger.arn
}

output "orders_topic" { value = aws_sns_topic.orders.arn }
