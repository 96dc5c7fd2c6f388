"""The ``[web]`` table: where the public pages are served and under which address people
reach them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACADEMIC = (".edu", ".ac.uk", ".ac.jp", ".ac.in", ".edu.au", ".ac.nz")


class WebError(Exception):
    """The web pages could not be served; the message says what to change."""


@dataclass(frozen=True)
class WebSettings:
    # "HOST:PORT" the pages are served on; empty turns the web off. Put it behind a TLS
    # reverse proxy to publish it (README: "Public pages").
    listen: str = "127.0.0.1:8080"
    # The address people use, e.g. "https://dynamo.example.org": links in chat and mail.
    # Empty: announcements carry no link.
    public_url: str = ""
    # Email domains (suffixes) whose confirmed addresses mark an outside signer as a
    # researcher.
    academic_domains: tuple[str, ...] = DEFAULT_ACADEMIC
    # Serve /metrics in Prometheus's text format.
    metrics: bool = False

    def __post_init__(self) -> None:
        if self.listen:
            self.address()
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError('public_url must start with https:// (or http://), or be ""')
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @property
    def enabled(self) -> bool:
        return bool(self.listen)

    def address(self) -> tuple[str, int]:
        host, sep, port = self.listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(
                f'listen must be "HOST:PORT" like "127.0.0.1:8080", or "" for no web; '
                f"not {self.listen!r}"
            )
        return host.strip("[]"), int(port)

    def link(self, path: str) -> str | None:
        """The public address of a page (``/campaigns/3``), or None without public_url."""
        return f"{self.public_url}{path}" if self.public_url else None
