"""The procurement rules: commands in, events out. No I/O; the clock is an argument."""

from .commands import InvalidCommand
from .deciders import decide
from .errors import Refused
from .model import Actor, Event
from .state import evolve

__all__ = ["Actor", "Event", "InvalidCommand", "Refused", "decide", "evolve"]
