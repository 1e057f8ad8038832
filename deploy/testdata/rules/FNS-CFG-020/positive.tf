resource "aws_lambda_function" "mailer" {
  function_name = "mailer"
  runtime       = "nodejs22.x"
  handler       = "index.handler"
  filename      = "build/mailer.zip"
  role          = "arn:aws:iam::123456789012:role/mailer"
  environment {
    variables = {
      SMTP_HOST     = "smtp.example.com"
      SMTP_PASSWORD = "Vx7-kQ2p-Rm9w-Zt4c"
    }
  }
}
