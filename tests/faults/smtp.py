"""A small SMTP server of the fault tests' own that accepts mail, refuses it, or hangs.

- "accept": a plain SMTP dialogue (EHLO, MAIL, RCPT, DATA, QUIT); each message is recorded
  when it is answered "250" after its data, as a real server takes responsibility for it then.
- "refuse": nothing listens on the port (connection refused), as when the server is down.
- "hang": connections are accepted and never answered, as a stuck server or a firewall that
  swallows packets.
"""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
from collections import Counter
from dataclasses import dataclass

from tests.faults.stack import free_port


@dataclass(frozen=True)
class Delivery:
    recipient: str
    subject: str


class _Handler(socketserver.StreamRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        if owner.mode == "hang":
            self.hang()
        else:
            self.converse(owner)

    def hang(self) -> None:
        """Never answer; end when the client gives up (or the server stops)."""
        self.request.settimeout(0.2)
        while not self.server.owner.stopping.is_set():
            try:
                if not self.request.recv(4096):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def converse(self, owner: MailServer) -> None:
        self.request.settimeout(10)
        self.reply("220 koki-faults ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250-koki-faults\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].split()[0].strip("<>").lower())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                message = self.read_data()
                subject = str(
                    email.message_from_bytes(message, policy=email.policy.default)["Subject"]
                )
                owner.record([Delivery(recipient, subject) for recipient in recipients])
                self.reply("250 OK: queued")
            elif verb in {"RSET", "NOOP"}:
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in {b".\r\n", b".\n", b""}:
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    owner: MailServer


class MailServer:
    """The server on 127.0.0.1:`port`, in threads of the test process; `mode` says how it
    treats the next connection."""

    def __init__(self):
        self.port = free_port()
        self.mode = "accept"
        self.deliveries: list[Delivery] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None
        self._listen()

    def _listen(self) -> None:
        self._server = _TCPServer(("127.0.0.1", self.port), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def accept(self) -> None:
        self.mode = "accept"
        if self._server is None:
            self._listen()

    def refuse(self) -> None:
        self.mode = "refuse"
        self._close()

    def hang(self) -> None:
        self.mode = "hang"
        if self._server is None:
            self._listen()

    def record(self, deliveries: list[Delivery]) -> None:
        with self._lock:
            self.deliveries += deliveries

    def per_recipient(self) -> Counter:
        with self._lock:
            return Counter(delivery.recipient for delivery in self.deliveries)

    def per_message(self) -> Counter:
        """(recipient, subject) → how often it arrived."""
        with self._lock:
            return Counter((d.recipient, d.subject) for d in self.deliveries)

    def count(self) -> int:
        with self._lock:
            return len(self.deliveries)

    def stop(self) -> None:
        self.stopping.set()
        self._close()


def refused(port: int) -> bool:
    """Whether a connection to the port is refused (for the tests' own checks)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False
