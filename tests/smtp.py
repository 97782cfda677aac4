"""A real SMTP server on loopback (aiosmtpd) for the mail tests: it keeps what it receives, can
refuse chosen addresses for good (550) or for now (451), and can be stopped and started to
play an outage."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550: never
    defer: set[str] = field(default_factory=set)  # 451: later
    refuse_sender: str = ""  # an answer to MAIL FROM (e.g. a 535 after a password rotated)
    transports: set[Any] = field(default_factory=set)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.defer:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _TrackingSMTP(SMTP):
    """Keeps the server's open transports, so that stopping closes each one on the server's
    loop first: aiosmtpd's stop ends the loop without closing connections, and a transport
    left open is an unclosed-socket warning when it is collected — an error in this suite,
    raised in whichever test happens to be running then."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._tracked = transport
        self.event_handler.transports.add(transport)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self.event_handler.transports.discard(self._tracked)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _TrackingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.port = _free_port()
        self.controller: Controller | None = None
        self.start()

    def start(self) -> None:
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is None:
            return
        transports = self.handler.transports

        def close_all() -> None:
            for transport in list(transports):
                transport.close()

        # close() only schedules connection_lost (which closes the socket) on the loop: wait
        # for it to run before the loop stops.
        self.controller.loop.call_soon_threadsafe(close_all)
        deadline = time.monotonic() + 5
        while transports and time.monotonic() < deadline:
            time.sleep(0.01)
        self.controller.stop()
        self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.envelope_to]

    def wait_for(self, count: int, seconds: float = 10) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
