# Seed 002: the image behind a Function URL in RESPONSE_STREAM mode. The Dockerfile never sets
# AWS_LWA_INVOKE_MODE, so the adapter buffers: the SSE arrives all at once.
variable "image_uri" {
  type = string
}

resource "aws_lambda_function" "chat" {
  function_name = "fastapi-chat"
  package_type  = "Image"
  image_uri     = var.image_uri
  role          = "arn:aws:iam::123456789012:role/chat"
  timeout       = 120
  memory_size   = 1024
}

resource "aws_lambda_function_url" "chat" {
  function_name      = aws_lambda_function.chat.function_name
  authorization_type = "AWS_IAM"
  invoke_mode        = "RESPONSE_STREAM"
}

resource "aws_lambda_function" "dashboard" {
  function_name = "dashboard"
  runtime       = "python3.12"
  handler       = "dashboard.handler"
  filename      = "dashboard.zip"
  role          = "arn:aws:iam::123456789012:role/dashboard"
  timeout       = 120
}

resource "aws_lambda_function_url" "dashboard" {
  function_name      = aws_lambda_function.dashboard.function_name
  authorization_type = "AWS_IAM"
}
