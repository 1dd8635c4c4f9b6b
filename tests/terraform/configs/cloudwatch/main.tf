# CloudWatch alarms as a real stack declares them: a topic for notifications, a static
# threshold alarm on a queue's depth with alarm and OK actions, dimensions, tags and
# missing-data handling, a percentile alarm with M-out-of-N, and a metric-math alarm.
resource "aws_sns_topic" "alarms" {
  name = "tf-cloudwatch-alarms"
}

resource "aws_cloudwatch_metric_alarm" "depth" {
  alarm_name          = "tf-queue-depth"
  alarm_description   = "Too many messages waiting"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = "orders" }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = { team = "ops" }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "tf-latency-p99"
  namespace           = "App"
  metric_name         = "Latency"
  extended_statistic  = "p99"
  unit                = "Milliseconds"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 250.5
  comparison_operator = "GreaterThanOrEqualToThreshold"
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "tf-error-rate"
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  actions_enabled     = false

  metric_query {
    id          = "rate"
    expression  = "100 * errors / requests"
    label       = "Error rate"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "App"
      metric_name = "Errors"
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "App"
      metric_name = "Requests"
      period      = 60
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_dashboard" "ops" {
  dashboard_name = "tf-ops"
  dashboard_body = jsonencode({
    widgets = [
      {
        type   = "metric"
        x      = 0
        y      = 0
        width  = 12
        height = 6
        properties = {
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "orders"]]
          period  = 60
          stat    = "Maximum"
          region  = var.region
          title   = "Queue depth"
        }
      },
      {
        type   = "text"
        x      = 0
        y      = 6
        width  = 6
        height = 3
        properties = { markdown = "Runbook: page the on-call" }
      }
    ]
  })
}

resource "aws_cloudwatch_composite_alarm" "service" {
  alarm_name        = "tf-service-unhealthy"
  alarm_description = "Queue backed up or latency high"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.depth.alarm_name}\") OR ALARM(\"${aws_cloudwatch_metric_alarm.latency.alarm_name}\")"
  alarm_actions     = [aws_sns_topic.alarms.arn]
  tags              = { team = "ops" }
}

# Stored only: Firehose is not in Simfra yet, so the stream delivers nothing.
resource "aws_cloudwatch_metric_stream" "sqs" {
  name          = "tf-sqs-stream"
  role_arn      = "arn:aws:iam::000000000000:role/tf-metric-stream"
  firehose_arn  = "arn:aws:firehose:${var.region}:000000000000:deliverystream/tf-metrics"
  output_format = "json"

  include_filter {
    namespace    = "AWS/SQS"
    metric_names = ["ApproximateNumberOfMessagesVisible"]
  }
}
