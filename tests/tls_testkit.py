"""Throwaway certificates for the TLS tests, made with the ``openssl`` command: a test CA, a server
certificate it signed for ``localhost`` (and only that name), and a second CA that signed nothing the servers
use (a client trusting only it must refuse them)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certs:
    ca: Path  #: the CA that signed the server certificate
    other_ca: Path  #: a CA that signed nothing the servers use
    cert: Path  #: the server certificate, for localhost
    key: Path  #: its private key


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"openssl {' '.join(args)} failed: {done.stderr}")


def _ca(folder: Path, name: str) -> None:
    _openssl(
        *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN=tinycrm {name}"),
        *("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        cwd=folder,
    )


def make_certs(folder: Path) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: apt-get install openssl")
    folder.mkdir(parents=True, exist_ok=True)
    _ca(folder, "ca")
    _ca(folder, "other-ca")
    _openssl(
        *("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"),
        cwd=folder,
    )
    (folder / "server.ext").write_text(EXTENSIONS)
    _openssl(
        *("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"),
        *("-out", "server.pem", "-days", "2", "-extfile", "server.ext"),
        cwd=folder,
    )
    for key in folder.glob("*.key"):
        key.chmod(0o644)  # Dovecot, run as root, reads the key as root: readable either way
    return Certs(folder / "ca.pem", folder / "other-ca.pem", folder / "server.pem", folder / "server.key")


def client_context(certs: Certs):  # noqa: ANN201 - an ssl.SSLContext
    import ssl

    return ssl.create_default_context(cafile=str(certs.ca))
