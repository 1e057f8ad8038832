resource "aws_lambda_function" "api" {
  function_name = "orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/api.zip"
  role          = aws_iam_role.api.arn
}

resource "aws_iam_role" "api" {
  name = "orders-api"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

data "aws_iam_policy_document" "api" {
  statement {
    actions   = ["sqs:SendMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.orders.arn]
  }
  statement {
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "api" {
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}
