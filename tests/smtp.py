"""A real SMTP server on 127.0.0.1 for the suite: the app's SMTP backend talks to it over TCP
exactly as it would to a production mail server."""

from __future__ import annotations

import socket
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from webapp.mail import wait_for_mail


class SmtpServer:
    """Keeps every message it receives, parsed, in `messages`. An address in `refused` is
    answered 550 at RCPT TO, as a real server answers an unknown mailbox."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        self.messages.clear()
        self.refused.clear()

    def wait_for(self, count: int, timeout: float = 5) -> list[EmailMessage]:
        """The messages once `count` of them have arrived (mail is sent in the background)."""
        wait_for_mail(timeout)
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.messages) >= count, (
            f"expected {count} e-mail(s) at the test SMTP server, {len(self.messages)} arrived"
        )
        return list(self.messages)

    # aiosmtpd handler hooks

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        # CRLF is the wire's line ending; a mailbox stores the text with plain newlines.
        raw = envelope.content.replace(b"\r\n", b"\n")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    # aiosmtpd needs the port up front (it connects to it to check it is serving).
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
