"""The engine's TLS files checked before install (module_utils/tls_files.py), on certificates made here."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.tls_files import check_tls_files

NOW = datetime.datetime(2030, 6, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def certificate(name, key, issuer_name=None, issuer_key=None, start=NOW - DAY, end=NOW + 30 * DAY, ca=False):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, hashes.SHA256())


def pem(*certificates):
    return b"".join(one.public_bytes(serialization.Encoding.PEM) for one in certificates)


def key_pem(key, password=None):
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@pytest.fixture(scope="module")
def pki():
    ca_key, server_key, other_key, middle_key = new_key(), new_key(), new_key(), new_key()
    ca = certificate("test CA", ca_key, ca=True)
    other_ca = certificate("other CA", other_key, ca=True)
    middle = certificate("middle CA", middle_key, ca.subject, ca_key, ca=True)
    return dict(
        ca=ca, ca_key=ca_key, other_ca=other_ca, server_key=server_key, other_key=other_key,
        server=certificate("docker1", server_key, ca.subject, ca_key),
        by_middle=certificate("docker1", server_key, middle.subject, middle_key), middle=middle,
        expired=certificate("docker1", server_key, ca.subject, ca_key, NOW - 30 * DAY, NOW - DAY),
        future=certificate("docker1", server_key, ca.subject, ca_key, NOW + DAY, NOW + 30 * DAY),
        # Same name as the test CA, but another key signed it.
        forged=certificate("docker1", server_key, ca.subject, other_key),
    )


def check(ca, cert, key):
    return check_tls_files(("/pki/ca.pem", "ca", ca), ("/pki/server.pem", "certificate", cert),
                           ("/pki/server-key.pem", "private_key", key), now=NOW)


def refused(ca, cert, key):
    with pytest.raises(InvalidValue) as caught:
        check(ca, cert, key)
    message = caught.value.msg
    assert "\n" not in message and "PRIVATE KEY" not in message
    return message


def test_a_matching_certificate_signed_by_the_ca_passes(pki):
    summary = check(pem(pki["ca"]), pem(pki["server"]), key_pem(pki["server_key"]))
    assert summary == dict(subject="CN=docker1", issuer="CN=test CA", key="EC 256-bit",
                           not_after=(NOW + 30 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_a_ca_bundle_and_an_intermediate_after_the_certificate_pass(pki):
    summary = check(pem(pki["other_ca"], pki["ca"]), pem(pki["by_middle"], pki["middle"]), key_pem(pki["server_key"]))
    assert summary["issuer"] == "CN=test CA"


def test_a_key_of_another_certificate_is_refused_without_showing_it(pki):
    message = refused(pem(pki["ca"]), pem(pki["server"]), key_pem(pki["other_key"]))
    assert message.startswith("private_key: /pki/server-key.pem (EC 256-bit) is not the key of the certificate "
                              "/pki/server.pem (CN=docker1, EC 256-bit): their public keys differ"), message


def test_a_certificate_another_ca_signed_is_refused(pki):
    message = refused(pem(pki["other_ca"]), pem(pki["server"]), key_pem(pki["server_key"]))
    assert message == ("certificate: /pki/server.pem (CN=docker1, issued by CN=test CA) was not signed by the CA "
                       "in /pki/ca.pem (CN=other CA); give the certificate the CA signed, or the CA that signed it")


def test_a_certificate_with_the_ca_name_but_not_its_signature_is_refused(pki):
    assert "was not signed by the CA" in refused(pem(pki["ca"]), pem(pki["forged"]), key_pem(pki["server_key"]))


def test_an_intermediate_that_is_missing_is_refused(pki):
    assert "was not signed by the CA" in refused(pem(pki["ca"]), pem(pki["by_middle"]), key_pem(pki["server_key"]))


def test_expired_and_not_yet_valid_certificates_are_refused(pki):
    message = refused(pem(pki["ca"]), pem(pki["expired"]), key_pem(pki["server_key"]))
    assert message == ("certificate: /pki/server.pem (CN=docker1) expired on %s; give a certificate that is "
                       "valid now" % (NOW - DAY).strftime("%Y-%m-%d %H:%M UTC"))
    assert "is not valid before" in refused(pem(pki["ca"]), pem(pki["future"]), key_pem(pki["server_key"]))


def test_an_expired_ca_is_refused(pki):
    old_ca = certificate("test CA", pki["ca_key"], start=NOW - 60 * DAY, end=NOW - DAY, ca=True)
    message = refused(pem(old_ca), pem(pki["server"]), key_pem(pki["server_key"]))
    assert message.startswith("ca: /pki/ca.pem (CN=test CA) expired on"), message


@pytest.mark.parametrize("which, content, fragment", [
    ("ca", b"not a certificate", "ca: /pki/ca.pem holds no PEM certificate"),
    ("cert", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "certificate: /pki/server.pem holds a certificate that cannot be read"),
    ("key", b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
     "private_key: /pki/server-key.pem holds no private key that can be read"),
])
def test_unreadable_files_are_refused_in_one_line(pki, which, content, fragment):
    files = dict(ca=pem(pki["ca"]), cert=pem(pki["server"]), key=key_pem(pki["server_key"]))
    files[which] = content
    message = refused(files["ca"], files["cert"], files["key"])
    assert message.startswith(fragment), message
    assert "c2VjcmV0" not in message


def test_an_encrypted_key_is_refused(pki):
    message = refused(pem(pki["ca"]), pem(pki["server"]), key_pem(pki["server_key"], b"passphrase"))
    assert message == "private_key: /pki/server-key.pem is encrypted with a passphrase; the engine needs it unencrypted"
