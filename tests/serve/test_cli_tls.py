"""``cortexlink serve`` refuses bad options in one line, and the server speaks TLS when given a
certificate (a self-signed one made here)."""

from __future__ import annotations

import datetime
import ssl

import pytest

from ..cli.helpers import run


def test_serve_option_errors_are_one_line(tmp_path, capsys):
    tokens = tmp_path / "t.jsonl"
    code, _, err = run(["serve", "--tokens", tokens, "--tls-cert", tmp_path / "c.pem"], capsys)
    assert code == 2 and "both a certificate" in err and "Traceback" not in err
    code, _, err = run(["serve", "--tokens", tokens, "--port", "0"], capsys)
    assert code == 2 and "port must be" in err


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return tmp_path / "cert.pem", tmp_path / "key.pem"


@pytest.mark.timeout(60)
def test_https_with_a_certificate(tmp_path, config, tokens):
    import httpx

    from cortexlink.serve import create_app

    from .live_server import LiveServer

    cert, key = _self_signed(tmp_path)
    with LiveServer(create_app(config), tls=(cert, key)) as url:
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        r = httpx.get(f"{url}/version", headers={"Authorization": f"Bearer {tokens['read']}"}, verify=context)
        assert r.status_code == 200 and r.json()["api"] == 1
        with pytest.raises(httpx.HTTPError):
            httpx.get(url.replace("https", "http") + "/health", timeout=5)
