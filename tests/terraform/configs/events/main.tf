# EventBridge as an event-driven stack wires it: a custom bus that a partner account may put
# events on, a rule with an event pattern on it and a scheduled rule on the default bus, both
# sending to an SQS queue whose policy allows exactly those rules (as AWS requires), one target
# with an input transformer and a retry policy. The endpoint comes from AWS_ENDPOINT_URL.
resource "aws_cloudwatch_event_bus" "orders" {
  name = "tf-orders"
  tags = { team = "shop" }
}

resource "aws_cloudwatch_event_permission" "partner" {
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  principal      = "111111111111"
  statement_id   = "partner"
}

resource "aws_cloudwatch_event_rule" "placed" {
  name           = "tf-order-placed"
  description    = "Orders placed in the shop"
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  event_pattern = jsonencode({
    source        = ["shop"]
    "detail-type" = ["OrderPlaced"]
    detail        = { total = [{ numeric = [">", 0] }] }
  })
  tags = { kind = "pattern" }
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "tf-nightly"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_sqs_queue" "orders" {
  name = "tf-events-orders"
}

resource "aws_sqs_queue" "dlq" {
  name = "tf-events-dlq"
}

resource "aws_sqs_queue_policy" "orders" {
  queue_url = aws_sqs_queue.orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.orders.arn
      Condition = { ArnEquals = { "aws:SourceArn" = [aws_cloudwatch_event_rule.placed.arn, aws_cloudwatch_event_rule.nightly.arn] } }
    }]
  })
}

resource "aws_cloudwatch_event_target" "placed" {
  rule           = aws_cloudwatch_event_rule.placed.name
  event_bus_name = aws_cloudwatch_event_bus.orders.name
  target_id      = "orders-queue"
  arn            = aws_sqs_queue.orders.arn
  input_transformer {
    input_paths    = { id = "$.detail.id", total = "$.detail.total" }
    input_template = "{\"order\": <id>, \"total\": <total>}"
  }
  retry_policy {
    maximum_retry_attempts       = 3
    maximum_event_age_in_seconds = 600
  }
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule      = aws_cloudwatch_event_rule.nightly.name
  target_id = "nightly-queue"
  arn       = aws_sqs_queue.orders.arn
  input     = jsonencode({ job = "nightly" })
}
