# IAM as a real stack builds it: a group with an AWS-managed policy, a user in it with an
# access key, a role for Lambda with a customer-managed policy built from
# aws_iam_policy_document (least privilege on this stack's bucket, queue and table), an
# instance profile, an OIDC provider for CI, and the data sources that read them back.
data "aws_caller_identity" "me" {}

data "aws_iam_policy" "s3_read" {
  arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

resource "aws_s3_bucket" "data" {
  bucket = "tf-iam-stack-data"
}

resource "aws_sqs_queue" "jobs" {
  name = "tf-iam-stack-jobs"
}

resource "aws_dynamodb_table" "state" {
  name         = "tf-iam-stack-state"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  attribute {
    name = "pk"
    type = "S"
  }
}

resource "aws_iam_group" "readers" {
  name = "tf-readers"
  path = "/teams/"
}

resource "aws_iam_group_policy_attachment" "readers_s3" {
  group      = aws_iam_group.readers.name
  policy_arn = data.aws_iam_policy.s3_read.arn
}

resource "aws_iam_user" "ci" {
  name = "tf-ci"
  path = "/service/"
  tags = { team = "platform" }
}

resource "aws_iam_user_group_membership" "ci" {
  user   = aws_iam_user.ci.name
  groups = [aws_iam_group.readers.name]
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

resource "aws_iam_user_policy" "ci_inline" {
  name = "send-jobs"
  user = aws_iam_user.ci.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.jobs.arn }]
  })
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.data.arn}/*"]
  }
  statement {
    sid       = "Jobs"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.jobs.arn]
  }
  statement {
    sid       = "State"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.state.arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = ["job-*"]
    }
  }
}

resource "aws_iam_policy" "worker" {
  name        = "tf-worker"
  path        = "/app/"
  description = "What the worker function may touch"
  policy      = data.aws_iam_policy_document.worker.json
  tags        = { app = "worker" }
}

resource "aws_iam_role" "worker" {
  name                 = "tf-worker"
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  max_session_duration = 7200
  tags                 = { app = "worker" }
}

resource "aws_iam_role_policy_attachment" "worker" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.worker.arn
}

resource "aws_iam_role_policy_attachment" "worker_logs" {
  role       = aws_iam_role.worker.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "worker_inline" {
  name = "describe-table"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "dynamodb:DescribeTable", Resource = aws_dynamodb_table.state.arn }]
  })
}

resource "aws_iam_instance_profile" "worker" {
  name = "tf-worker"
  role = aws_iam_role.worker.name
}

resource "aws_iam_openid_connect_provider" "ci" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

# aws_iam_policy_attachment owns every attachment of its policy, so it gets a policy of its own.
resource "aws_iam_policy" "shared" {
  name   = "tf-shared"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:ListQueues", Resource = "*" }]
  })
}

resource "aws_iam_policy_attachment" "shared" {
  name       = "tf-shared"
  policy_arn = aws_iam_policy.shared.arn
  groups     = [aws_iam_group.readers.name]
  users      = [aws_iam_user.ci.name]
}

output "account" {
  value = data.aws_caller_identity.me.account_id
}

output "ci_key" {
  value = aws_iam_access_key.ci.id
}
