"""Real notification transports: SMTP email, group-robot webhooks and an SMS gateway."""
