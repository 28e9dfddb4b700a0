"""Store onboarding: applications, automatic licence checks and the operators' review workflow."""
