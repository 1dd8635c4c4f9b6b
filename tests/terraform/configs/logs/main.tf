# CloudWatch Logs as stacks use it: a tagged group with retention and its stream, a metric
# filter turning JSON log lines into a metric with a dimension, and a subscription filter to a
# Lambda function (stored; Simfra has no Lambda yet, so deliveries are recorded as failed).
data "aws_caller_identity" "me" {}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/tf/app"
  retention_in_days = 14
  tags = {
    team = "platform"
  }
}

resource "aws_cloudwatch_log_stream" "web" {
  name           = "web-1"
  log_group_name = aws_cloudwatch_log_group.app.name
}

resource "aws_cloudwatch_log_metric_filter" "latency" {
  name           = "latency"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "{ $.latency > 0 }"

  metric_transformation {
    name       = "Latency"
    namespace  = "TfApp"
    value      = "$.latency"
    unit       = "Milliseconds"
    dimensions = { Op = "$.op" }
  }
}

resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "errors"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "ERROR"

  metric_transformation {
    name          = "Errors"
    namespace     = "TfApp"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_subscription_filter" "to_lambda" {
  name            = "to-lambda"
  log_group_name  = aws_cloudwatch_log_group.app.name
  filter_pattern  = "ERROR"
  destination_arn = "arn:aws:lambda:${var.region}:${data.aws_caller_identity.me.account_id}:function:log-shipper"
}

output "group_arn" {
  value = aws_cloudwatch_log_group.app.arn
}
