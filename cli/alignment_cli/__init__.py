"""Command-line client for Alignment's REST API."""

__version__ = "0.1.0"
