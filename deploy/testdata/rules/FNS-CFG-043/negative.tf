resource "aws_lambda_function" "api" {
  function_name = "orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/api.zip"
  role          = "arn:aws:iam::123456789012:role/api"
  tracing_config {
    mode = "Active"
  }
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/lambda/${aws_lambda_function.api.function_name}"
  retention_in_days = 30
}
