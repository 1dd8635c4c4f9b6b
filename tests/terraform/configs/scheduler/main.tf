# EventBridge Scheduler as a real stack builds it: a queue and its dead-letter queue, an
# execution role Scheduler may assume with a policy letting it send to both, a schedule group
# with tags, a cron schedule in it (time zone, flexible window, retry policy, DLQ, start and
# end dates) and a one-time schedule in the default group that deletes itself after firing.
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

resource "aws_sqs_queue" "jobs" {
  name = "tf-scheduler-jobs"
}

resource "aws_sqs_queue" "dlq" {
  name = "tf-scheduler-dlq"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "send" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.dlq.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "tf-scheduler-exec"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "send" {
  name   = "send"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.send.json
}

resource "aws_scheduler_schedule_group" "jobs" {
  name = "tf-jobs"
  tags = { team = "platform" }
}

resource "aws_scheduler_schedule" "nightly" {
  name                         = "tf-nightly"
  group_name                   = aws_scheduler_schedule_group.jobs.name
  description                  = "weekday report"
  schedule_expression          = "cron(30 2 ? * MON-FRI *)"
  schedule_expression_timezone = "Europe/Berlin"
  start_date                   = "2030-01-01T00:00:00Z"
  end_date                     = "2031-01-01T00:00:00Z"

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    arn      = aws_sqs_queue.jobs.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ job = "report" })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.dlq.arn
    }
  }
}

resource "aws_scheduler_schedule" "rate" {
  name                = "tf-every-hour"
  schedule_expression = "rate(1 hour)"
  state               = "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sqs_queue.jobs.arn
    role_arn = aws_iam_role.scheduler.arn
  }
}
