"""Desk: a desktop workstation for customer-support agents."""

__version__ = "0.1.0"
