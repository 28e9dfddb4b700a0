"""Identity and access: accounts (operators and store staff), roles, sessions, API keys."""
