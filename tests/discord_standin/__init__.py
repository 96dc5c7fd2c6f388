"""A local Discord stand-in that the real discord.py client talks to, for end-to-end tests.

See ``server.StandIn`` for the API and ``test_standin.py`` for examples of each flow.
"""

from __future__ import annotations

import warnings

# discord.py 2.7 imports the stdlib ``audioop`` (for voice), deprecated since Python 3.11; under
# the project's ``filterwarnings = ["error"]`` that import alone fails collection. Only this
# one warning is silenced, and only while discord.py is first imported.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401

from .client import running_client
from .errors import StandInError, StandInTimeout
from .patching import patched_discord
from .records import InteractionHandle, Pings, RecordedRequest, StoredMessage, UploadedFile
from .server import DEFAULT_TOKEN, StandIn
from .specs import GuildSpec, RoleSpec
from .state import GuildState

__all__ = [
    "DEFAULT_TOKEN",
    "GuildSpec",
    "GuildState",
    "InteractionHandle",
    "Pings",
    "RecordedRequest",
    "RoleSpec",
    "StandIn",
    "StandInError",
    "StandInTimeout",
    "StoredMessage",
    "UploadedFile",
    "patched_discord",
    "running_client",
]
