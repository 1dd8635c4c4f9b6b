# Lambda: a Python function from a zip (function.zip, a one-file handler kept beside this
# config: no archive provider is available offline), its execution role, a published version
# with an alias, and a permission for SNS to invoke it.
resource "aws_iam_role" "fn" {
  name = "tf-lambda-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_lambda_function" "fn" {
  function_name    = "tf-fn"
  role             = aws_iam_role.fn.arn
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "${path.module}/function.zip"
  source_code_hash = filebase64sha256("${path.module}/function.zip")
  memory_size      = 256
  timeout          = 10
  publish          = true
  description      = "made by terraform"
  environment {
    variables = { STAGE = "test" }
  }
  tags = { team = "a" }
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.fn.function_name
  function_version = aws_lambda_function.fn.version
}

resource "aws_sns_topic" "t" {
  name = "tf-lambda-topic"
}

resource "aws_lambda_permission" "sns" {
  statement_id  = "AllowSNS"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.t.arn
}

resource "aws_lambda_permission" "alias" {
  statement_id  = "AllowEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "events.amazonaws.com"
}
