"""An SMTP server process (aiosmtpd) with TLS, for the TLS tests: ``starttls`` (plain until STARTTLS, which it
requires before MAIL) or ``tls`` (TLS from the first byte). Each message it accepts is written to a file in
OUTDIR; it prints ``ready`` once it listens.

    python smtp_tls_server.py PORT starttls|tls CERT KEY OUTDIR
"""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        self.count += 1
        name = f"{self.count:04d}"
        (self.folder / f"{name}.tmp").write_bytes(envelope.content)
        (self.folder / f"{name}.tmp").rename(self.folder / f"{name}.eml")
        return "250 OK"


async def main(port: int, mode: str, cert: str, key: str, folder: Path) -> None:
    from aiosmtpd.smtp import SMTP

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder(folder)
    if mode == "tls":
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(recorder, hostname="localhost"), "127.0.0.1", port, ssl=context
        )
    else:
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(recorder, hostname="localhost", tls_context=context, require_starttls=True),
            "127.0.0.1",
            port,
        )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5])))
