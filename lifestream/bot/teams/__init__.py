"""Microsoft Teams: the Bot Framework endpoint, the bot, its Adaptive Cards, and the notifier that posts job events."""
