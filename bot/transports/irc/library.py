"""The parts of the ``irc`` library the connection is built on, in one place.

Importing ``irc.client`` loads ``irc.events``, which finds its own data file with
``importlib_resources.files()`` and no package name; that call works out its caller by
``inspect.stack()`` and costs about 15 ms of start-up (python/cpython#92041,
python/importlib_resources#327). It is left as the library does it: speeding it up meant
replacing a private function of importlib_resources, which a release may rename or drop.
"""

from __future__ import annotations

from irc.client import Event, ServerNotConnectedError
from irc.client_aio import AioConnection, AioReactor, IrcProtocol
from irc.connection import AioFactory
from irc.features import FeatureSet
from jaraco.stream import buffer

__all__ = [
    "AioConnection",
    "AioFactory",
    "AioReactor",
    "Event",
    "FeatureSet",
    "IrcProtocol",
    "ServerNotConnectedError",
    "buffer",
]
