"""notifications: sends a welcome message when a user registers."""
