variable "runtime" {
  type    = string
  default = "provided.al2023"
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  runtime       = var.runtime
  handler       = "main"
  filename      = "build/worker.zip"
  role          = "arn:aws:iam::123456789012:role/worker"
}
