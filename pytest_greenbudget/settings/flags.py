"""The ``type=`` callables of the command-line flags: each parses one written value with the
config file's own validation and says what would be valid as argparse's usage error. Pure:
no pytest (startup.py adds the options)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..units import parse_duration


def flag_type(name: str) -> Callable[[str], Any]:
    """argparse type= for a setting, reusing the config file's validation and messages."""

    def convert(text: str) -> Any:
        from .plans import convert_value

        value: object = int(text) if name in ("repeats", "warmup") and text.isdigit() else text
        try:
            return convert_value(name, value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def rounds_option(text: str) -> tuple[int, int]:
    from .values import MAX_ROUNDS

    first, _, cap = text.partition(":")
    try:
        rounds, most = int(first), int(cap or max(int(first), 10))
    except ValueError:
        rounds = most = 0
    if rounds < 2 or most < rounds or most > MAX_ROUNDS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give N or N:MAX, whole numbers with 2 <= N <= MAX <= {MAX_ROUNDS}, "
            "e.g. 2:10"
        )
    return rounds, most


def pairs_option(text: str) -> int:
    """--greenbudget-against-pairs: measured pairs per test in every round, at most as many
    as --greenbudget-repeats allows."""
    from .values import MAX_REPEATS

    value = int(text) if text.strip().isdigit() else 0
    if not 1 <= value <= MAX_REPEATS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give the measured pairs per test in every round, a whole number from 1 "
            f"to {MAX_REPEATS}, e.g. 4"
        )
    return value


def duration_option(text: str) -> float:
    """A wall-time cap such as 10m; its error is a usage error naming the flag."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seconds_option(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (0 < value < 1e9):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0, e.g. 300")
    return value


def fds_option(text: str) -> tuple[int, int]:
    read, _, write = text.partition(",")
    return int(read), int(write)
