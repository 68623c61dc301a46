"""The command line: `python -m bot …`, one function per command."""

from bot.cli.main import main

__all__ = ["main"]
