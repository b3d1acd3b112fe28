"""The agency's electronic signature on result papers: PAdES signatures made with pyHanko.

A licence, certificate, declaration confirmation or quantity-mark stamp is signed with the agency's
certificate, so that anyone can check a downloaded PDF with a standard tool (Adobe Reader, pyHanko's
`pyhanko sign validate`) and see that not one byte changed since the Department issued it.

The certificate is configured by path (README, "Settings"):

- `MOTCUA_SIGNING_KEY` and `MOTCUA_SIGNING_CERT`: the private key and the certificate, PEM files, with
  `MOTCUA_SIGNING_CHAIN` for the issuing CAs and `MOTCUA_SIGNING_PASSPHRASE` for an encrypted key;
- otherwise `instance/signing/agency.key` and `agency.crt` when present: `motcua init --demo` writes a
  demo certificate there (self-signed, for trying the platform; a real one comes from a licensed CA).

Without a certificate results are issued unsigned, and the paper's facts say so.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_FOLDER = PROJECT_ROOT / "instance" / "signing"


@dataclass(frozen=True)
class SigningKey:
    key: Path
    cert: Path
    chain: tuple[Path, ...] = ()
    passphrase: bytes | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, demo_folder: Path = DEMO_FOLDER) -> SigningKey | None:
        if environ.get("MOTCUA_SIGNING_KEY") and environ.get("MOTCUA_SIGNING_CERT"):
            chain = tuple(Path(p) for p in environ.get("MOTCUA_SIGNING_CHAIN", "").split(os.pathsep) if p)
            secret = environ.get("MOTCUA_SIGNING_PASSPHRASE")
            return cls(Path(environ["MOTCUA_SIGNING_KEY"]), Path(environ["MOTCUA_SIGNING_CERT"]), chain,
                       secret.encode() if secret else None)
        key, cert = demo_folder / "agency.key", demo_folder / "agency.crt"
        return cls(key, cert) if key.is_file() and cert.is_file() else None


@cache
def _signer(key: SigningKey):  # type: ignore[no-untyped-def]  # pyHanko's SimpleSigner
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(str(key.key), str(key.cert), ca_chain_files=tuple(map(str, key.chain)),
                                       key_passphrase=key.passphrase)
    if signer is None:
        raise RuntimeError(f"the signing key {key.key} or certificate {key.cert} cannot be read")
    return signer


def sign_pdf(content: bytes, key: SigningKey, *, reason: str, location: str, name: str) -> bytes:
    """The PDF with a PAdES baseline signature of the agency (SHA-256), in an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    meta = signers.PdfSignatureMetadata(field_name="ChuKySo", md_algorithm="sha256", reason=reason,
                                        location=location, name=name, subfilter=fields.SigSeedSubFilter.PADES)
    def sign() -> bytes:
        return signers.sign_pdf(writer, meta, signer=_signer(key)).getvalue()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return sign()
    # pyHanko runs an event loop of its own, which cannot start inside a running one (a caller's asyncio
    # code, a browser driver): sign on a thread of its own then.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(sign).result()


def write_demo_certificate(folder: Path = DEMO_FOLDER, organisation: str = "Sở Khoa học và Công nghệ tỉnh Đồng Nai",
                           ) -> SigningKey:
    """A self-signed demo certificate of the agency (RSA 3072, 5 years), unless one is already there."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key_path, cert_path = folder / "agency.key", folder / "agency.crt"
    if key_path.is_file() and cert_path.is_file():
        return SigningKey(key_path, cert_path)
    folder.mkdir(parents=True, exist_ok=True)
    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Đồng Nai"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} (DEMO)")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(private, hashes.SHA256())
    )
    key_path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return SigningKey(key_path, cert_path)
