"""`desk account ...` and `desk worker`: mail accounts and the headless worker."""

from __future__ import annotations

import argparse


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mail verbs are added here (accounts, worker)."""
