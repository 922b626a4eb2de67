"""Slack: a bolt AsyncApp (``app``), its Block Kit (``blocks``), and the notifier that posts job events (``notify``)."""
