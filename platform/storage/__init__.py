"""Object storage for uploaded files: a local directory by default, S3-compatible by configuration.

See docs/storage.md. The public surface is :mod:`.services` and :mod:`.errors`.
"""
