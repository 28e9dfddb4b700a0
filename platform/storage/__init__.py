"""Object storage for uploaded files: a local directory by default, S3-compatible by configuration."""
