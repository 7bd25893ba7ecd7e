"""tg_bot: chat bot that registers users through backend's API."""
