"""Email messages as bytes: a text and an HTML part (and any documents attached), and
per-recipient headers.

A bulletin goes to thousands of members with the same body, so the MIME body (encoded once
with the stdlib's email package) is cached and each recipient only gets their own header
lines in front of it: To, Date, Message-ID and List-Unsubscribe (with
List-Unsubscribe-Post for a one-click unsubscribe where the site is served over https).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from commands.email.mailings import Letter


class MessageBuilder:
    def __init__(
        self,
        sender: str,
        list_unsubscribe: Callable[[str], str],
        *,
        one_click: Callable[[str], str] | None = None,
        cache_size: int = 256,
    ) -> None:
        self.sender = sender
        self.domain = sender.rpartition("@")[2] or "dynamo.invalid"
        self.list_unsubscribe = list_unsubscribe
        # The https address of a one-click unsubscribe (RFC 8058), when the site has one.
        self.one_click = one_click
        self.cache_size = cache_size
        self._bodies: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()

    def build(self, letter: Letter, now: datetime) -> bytes:
        # Addresses are checked to be plain ASCII without CR/LF before they are stored
        # (commands.email.addresses.valid_address), so they can go into a header as they are.
        headers = [
            f"To: {letter.to}",
            f"Date: {format_datetime(now, usegmt=True)}",
            # Stable per outbox row: a mail resent after a crash can be recognised.
            f"Message-ID: {self.message_id(letter)}",
        ]
        token = letter.unsubscribe_token
        if token is not None and self.one_click is not None:
            # The https link first: providers that support it POST there; the mail address
            # stays for those that only send mail.
            headers.append(
                f"List-Unsubscribe: <{self.one_click(token)}>, <{self.list_unsubscribe(token)}>"
            )
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        elif token is not None:
            headers.append(f"List-Unsubscribe: <{self.list_unsubscribe(token)}>")
        head = ("\r\n".join(headers) + "\r\n").encode("ascii")
        if letter.attachments:
            # Sent to one recipient once: not worth caching.
            return head + self._message(letter).as_bytes()
        return head + self._body(letter.subject, letter.text, letter.html)

    def message_id(self, letter: Letter) -> str:
        """The Message-ID of a letter: the same for every try of its outbox row."""
        return f"<{letter.reference}.{letter.outbox_id}@{self.domain}>"

    def _message(self, letter: Letter) -> EmailMessage:
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.sender
        message["Subject"] = letter.subject
        message.set_content(letter.text)
        message.add_alternative(letter.html, subtype="html")
        if letter.attachments:
            message.make_mixed()
            for attached in letter.attachments:
                # A text document: str content is attached as text/<subtype>, UTF-8.
                subtype = attached.media_type.removeprefix("text/")
                message.add_attachment(attached.text, subtype=subtype, filename=attached.filename)
        return message

    def _body(self, subject: str, text: str, html: str) -> bytes:
        key = (subject, text, html)
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
            return body
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.sender
        message["Subject"] = subject
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        body = message.as_bytes()
        self._bodies[key] = body
        if len(self._bodies) > self.cache_size:
            self._bodies.popitem(last=False)
        return body
