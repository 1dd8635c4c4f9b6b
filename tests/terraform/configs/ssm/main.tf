# SSM Parameter Store as stacks use it: String, StringList and SecureString parameters (the
# SecureString under the default alias/aws/ssm key and under a customer key), an advanced
# parameter with a policy, and the data sources that read them back — including the public
# Amazon Linux AMI parameter every account can read.
resource "aws_kms_key" "params" {
  description             = "tf ssm parameters"
  deletion_window_in_days = 7
}

resource "aws_ssm_parameter" "host" {
  name        = "/tf/app/db/host"
  type        = "String"
  value       = "db.internal"
  description = "database host"
  tags        = { team = "platform" }
}

resource "aws_ssm_parameter" "zones" {
  name  = "/tf/app/zones"
  type  = "StringList"
  value = "us-east-1a,us-east-1b"
}

resource "aws_ssm_parameter" "password" {
  name  = "/tf/app/db/password"
  type  = "SecureString"
  value = "tf-secret-password"
}

resource "aws_ssm_parameter" "token" {
  name   = "/tf/app/api/token"
  type   = "SecureString"
  value  = "tf-secret-token"
  key_id = aws_kms_key.params.arn
}

resource "aws_ssm_parameter" "advanced" {
  name            = "/tf/app/big"
  type            = "String"
  tier            = "Advanced"
  value           = "advanced-value"
  allowed_pattern = "^[a-z-]+$"
}

resource "aws_ssm_parameter" "ami" {
  name      = "/tf/app/ami"
  type      = "String"
  data_type = "aws:ec2:image"
  value     = data.aws_ssm_parameter.al2023.value
}

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_ssm_parameter" "password" {
  name       = aws_ssm_parameter.password.name
  depends_on = [aws_ssm_parameter.password]
}

data "aws_ssm_parameter" "token" {
  name       = aws_ssm_parameter.token.name
  depends_on = [aws_ssm_parameter.token]
}

data "aws_ssm_parameters_by_path" "app" {
  path       = "/tf/app"
  recursive  = true
  # Every parameter under the path, so apply and the next plan read the same set.
  depends_on = [
    aws_ssm_parameter.host, aws_ssm_parameter.zones, aws_ssm_parameter.password, aws_ssm_parameter.token,
    aws_ssm_parameter.advanced, aws_ssm_parameter.ami,
  ]
}

output "ami" {
  value     = data.aws_ssm_parameter.al2023.value
  sensitive = true
}

output "password_roundtrip" {
  value     = data.aws_ssm_parameter.password.value == "tf-secret-password" && data.aws_ssm_parameter.token.value == "tf-secret-token"
  sensitive = true
}

output "app_names" {
  value     = data.aws_ssm_parameters_by_path.app.names
  sensitive = true
}
