"""LifeStream: meeting recordings in, minutes and answers out."""

__version__ = "0.1.0"
