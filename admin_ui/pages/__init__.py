"""The shell's pages: sign-in, the /admin and /ops layouts, audit log, staff, API keys, stores, operators."""
