"""The parts of the ``irc`` library the connection is built on, imported quickly.

Importing ``irc.client`` loads ``irc.events``, which finds its own data file with
``importlib_resources.files()`` and no package name. That call works out the caller by
``inspect.stack()``, which reads the source of every frame on the stack, the whole import
chain included: about 15 ms of every start-up, spent before the bot can connect (see
python/cpython#92041 and python/importlib_resources#327, which proposes the frame walk used
here). While the library is imported, the caller is found by walking the frames instead:
the same frame, found the same way, without reading any source. Nothing else is changed,
and the original is back in place as soon as the import is done.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any


@contextlib.contextmanager
def _frame_walk_for_files() -> Iterator[None]:
    common: Any = None
    with contextlib.suppress(ImportError):
        if sys.version_info >= (3, 12):
            from importlib.resources import _common as common
        else:
            from importlib_resources import _common as common
    original = getattr(common, "_infer_caller", None)
    if original is None:
        yield
        return
    here = original.__code__.co_filename

    def infer_caller() -> FrameType:
        # The first frame outside importlib_resources' _common module, skipping the
        # functools.singledispatch `wrapper` frames: what the original picks from the stack.
        frame = sys._getframe(1)
        while frame.f_back is not None and (
            frame.f_code.co_filename == here or frame.f_code.co_name == "wrapper"
        ):
            frame = frame.f_back
        return frame

    common._infer_caller = infer_caller
    try:
        yield
    finally:
        common._infer_caller = original


with _frame_walk_for_files():
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
