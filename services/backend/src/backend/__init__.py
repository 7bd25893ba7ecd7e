"""backend: REST API that owns the users."""
