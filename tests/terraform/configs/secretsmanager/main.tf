# Secrets Manager as stacks use it: a secret under the AWS managed key with a JSON value,
# a binary secret under a customer KMS key, a resource policy, rotation recorded with a
# schedule, and the data sources that read values back.
data "aws_caller_identity" "me" {}

resource "aws_kms_key" "secrets" {
  description             = "tf secrets key"
  deletion_window_in_days = 7
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "tf/app/db"
  description             = "database credentials"
  recovery_window_in_days = 0
  tags = {
    team = "platform"
  }
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({
    username = "app"
    password = "tf-s3cr3t-password"
  })
}

resource "aws_secretsmanager_secret" "cert" {
  name_prefix             = "tf-cert-"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "cert" {
  secret_id     = aws_secretsmanager_secret.cert.id
  secret_binary = base64encode("binary-cert-bytes")
  version_stages = ["AWSCURRENT", "deployed"]
}

data "aws_iam_policy_document" "read_db" {
  statement {
    sid       = "ReadFromAccount"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"]
    }
  }
}

resource "aws_secretsmanager_secret_policy" "db" {
  secret_arn          = aws_secretsmanager_secret.db.arn
  policy              = data.aws_iam_policy_document.read_db.json
  block_public_policy = true
}

data "aws_secretsmanager_secret" "db" {
  arn = aws_secretsmanager_secret.db.arn
  depends_on = [aws_secretsmanager_secret_policy.db]
}

data "aws_secretsmanager_secret_version" "db" {
  secret_id  = aws_secretsmanager_secret.db.id
  depends_on = [aws_secretsmanager_secret_version.db]
}

data "aws_secretsmanager_secret_version" "cert" {
  secret_id     = aws_secretsmanager_secret.cert.id
  version_stage = "deployed"
  depends_on    = [aws_secretsmanager_secret_version.cert]
}

data "aws_secretsmanager_random_password" "generated" {
  password_length     = 24
  exclude_punctuation = true
}

output "db_username" {
  value     = jsondecode(data.aws_secretsmanager_secret_version.db.secret_string)["username"]
  sensitive = true
}

output "cert_matches" {
  value     = data.aws_secretsmanager_secret_version.cert.secret_binary == "binary-cert-bytes"
  sensitive = true
}

output "db_description" {
  value = data.aws_secretsmanager_secret.db.description
}
