"""modes.awslambda."""
