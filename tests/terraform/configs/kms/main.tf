# KMS as a stack uses it: a customer key with an explicit key policy (the account, plus an
# application role that may only encrypt and decrypt), an alias, a grant for the role with an
# encryption-context constraint, a signing key, a ciphertext made by Terraform itself
# (aws_kms_ciphertext) and read back by the aws_kms_secrets data source.
data "aws_caller_identity" "me" {}

resource "aws_iam_role" "app" {
  name = "tf-kms-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Enable IAM User Permissions"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"]
    }
  }
  statement {
    sid       = "AppUse"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.app.arn]
    }
  }
}

resource "aws_kms_key" "data" {
  description             = "tf stack data key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  rotation_period_in_days = 180
  policy                  = data.aws_iam_policy_document.key.json
  tags = {
    stack = "kms"
  }
}

resource "aws_kms_alias" "data" {
  name          = "alias/tf-stack-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_kms_grant" "app" {
  name              = "tf-app-grant"
  key_id            = aws_kms_key.data.key_id
  grantee_principal = aws_iam_role.app.arn
  operations        = ["Encrypt", "Decrypt", "GenerateDataKey"]
  constraints {
    encryption_context_subset = {
      app = "tf"
    }
  }
}

resource "aws_kms_key" "signing" {
  description              = "tf stack signing key"
  deletion_window_in_days  = 7
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_NIST_P256"
}

resource "aws_kms_ciphertext" "token" {
  key_id    = aws_kms_alias.data.target_key_id
  plaintext = "tf-secret-token"
  context = {
    app = "tf"
  }
}

data "aws_kms_secrets" "token" {
  secret {
    name    = "token"
    payload = aws_kms_ciphertext.token.ciphertext_blob
    context = {
      app = "tf"
    }
  }
}

data "aws_kms_key" "by_alias" {
  key_id = aws_kms_alias.data.name
}

data "aws_kms_public_key" "signing" {
  key_id = aws_kms_key.signing.key_id
}

output "decrypted" {
  value     = data.aws_kms_secrets.token.plaintext["token"]
  sensitive = true
}

output "alias_key_arn" {
  value = data.aws_kms_key.by_alias.arn
}

output "public_key_pem" {
  value = data.aws_kms_public_key.signing.public_key_pem
}
