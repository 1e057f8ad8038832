resource "aws_lambda_function" "mailer" {
  function_name = "mailer"
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  filename      = "build/mailer.zip"
  role          = "arn:aws:iam::123456789012:role/mailer"
  kms_key_arn   = aws_kms_key.env.arn
  environment {
    variables = {
      SMTP_HOST     = "smtp.example.com"
      SMTP_PASSWORD = data.aws_secretsmanager_secret_version.smtp.secret_string
    }
  }
}
