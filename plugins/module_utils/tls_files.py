# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of an engine's TLS files (CA, certificate, private key) before they are installed.

An engine given a key that is not its certificate's, or a certificate its clients' CA did not
sign, or an expired one, either refuses to start or starts and refuses every client: both are
found here, on the controller, before anything reaches a host. Runs where ``cryptography`` is
installed (ansible-core's controller depends on it); the managed hosts need nothing.

The private key's content never appears in a message: only its path, its type and its size.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core itself depends on it
    HAS_CRYPTOGRAPHY = False

_PEM_CERT = b'-----BEGIN CERTIFICATE-----'
_PEM_END = b'-----END CERTIFICATE-----'


def pem_certificates(data, path, what):
    """Every certificate of a PEM file, in order; one line naming ``path`` when there is none or one is bad."""
    certificates = []
    start = data.find(_PEM_CERT)
    while start != -1:
        end = data.find(_PEM_END, start)
        if end == -1:
            break
        try:
            certificates.append(x509.load_pem_x509_certificate(data[start:end + len(_PEM_END)]))
        except ValueError:
            raise InvalidValue('%s: %s holds a certificate that cannot be read (%s number %d is not valid PEM)'
                               % (what, path, 'certificate', len(certificates) + 1))
        start = data.find(_PEM_CERT, end)
    if not certificates:
        raise InvalidValue('%s: %s holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)' % (what, path))
    return certificates


def load_private_key(data, path, what):
    """The private key of a PEM file; never its content in a message."""
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InvalidValue('%s: %s is encrypted with a passphrase; the engine needs it unencrypted' % (what, path))
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidValue('%s: %s holds no private key that can be read (PEM, unencrypted)' % (what, path))


def _public_bytes(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _describe_key(key):
    size = getattr(key, 'key_size', None)
    kind = type(key).__name__.lstrip('_').replace('PublicKey', '').replace('PrivateKey', '') or 'key'
    return '%s %d-bit' % (kind, size) if size else kind


def issued_by(certificate, issuer):
    """Whether ``issuer`` (its name and its key) signed ``certificate``."""
    if certificate.issuer != issuer.subject:
        return False
    if hasattr(certificate, 'verify_directly_issued_by'):  # cryptography 40 and newer
        try:
            certificate.verify_directly_issued_by(issuer)
            return True
        except (ValueError, TypeError, InvalidSignature):
            return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(),
                       certificate.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       ec.ECDSA(certificate.signature_hash_algorithm))
        else:
            key.verify(certificate.signature, certificate.tbs_certificate_bytes)
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


def _validity(certificate):
    if hasattr(certificate, 'not_valid_after_utc'):  # cryptography 42 and newer
        return certificate.not_valid_before_utc, certificate.not_valid_after_utc
    utc = _utc()
    return certificate.not_valid_before.replace(tzinfo=utc), certificate.not_valid_after.replace(tzinfo=utc)


def _utc():
    return datetime.timezone.utc


def _subject(certificate):
    try:
        return certificate.subject.rfc4514_string()
    except Exception:  # pylint: disable=broad-except
        return 'the certificate'


def _check_dates(certificate, path, what, now):
    not_before, not_after = _validity(certificate)
    if now > not_after:
        raise InvalidValue('%s: %s (%s) expired on %s; give a certificate that is valid now'
                           % (what, path, _subject(certificate), not_after.strftime('%Y-%m-%d %H:%M UTC')))
    if now < not_before:
        raise InvalidValue('%s: %s (%s) is not valid before %s; check the clock of the machine that made it'
                           % (what, path, _subject(certificate), not_before.strftime('%Y-%m-%d %H:%M UTC')))


def check_tls_files(ca, certificate, private_key, now=None):
    """Check the engine's TLS files; each argument is ``(path, what, data bytes)``. Return a summary.

    Refused, with one line: unreadable PEM; a key that is not the certificate's; a certificate
    that does not chain (through the intermediates after it in its file) to a certificate of
    the CA file; a certificate or CA that has expired or is not valid yet.
    """
    if not HAS_CRYPTOGRAPHY:
        raise InvalidValue('checking the TLS files needs the Python package cryptography on the controller')
    now = now or datetime.datetime.now(_utc())
    ca_path, ca_what, ca_data = ca
    cert_path, cert_what, cert_data = certificate
    key_path, key_what, key_data = private_key
    authorities = pem_certificates(ca_data, ca_path, ca_what)
    chain = pem_certificates(cert_data, cert_path, cert_what)
    key = load_private_key(key_data, key_path, key_what)
    leaf = chain[0]

    leaf_key = leaf.public_key()
    if _public_bytes(key.public_key()) != _public_bytes(leaf_key):
        raise InvalidValue('%s: %s (%s) is not the key of the certificate %s (%s, %s): their public keys differ; '
                           'give the key the certificate was made for'
                           % (key_what, key_path, _describe_key(key), cert_path, _subject(leaf),
                              _describe_key(leaf_key)))
    _check_dates(leaf, cert_path, cert_what, now)

    current, seen = leaf, 0
    while True:
        root = next((authority for authority in authorities if issued_by(current, authority)), None)
        if root is not None:
            _check_dates(root, ca_path, ca_what, now)
            break
        intermediate = next((other for other in chain[1:] if issued_by(current, other)), None)
        seen += 1
        if intermediate is None or seen > len(chain):
            raise InvalidValue('%s: %s (%s, issued by %s) was not signed by the CA in %s (%s); give the '
                               'certificate the CA signed, or the CA that signed it'
                               % (cert_what, cert_path, _subject(leaf), current.issuer.rfc4514_string(), ca_path,
                                  ', '.join(_subject(authority) for authority in authorities)))
        _check_dates(intermediate, cert_path, cert_what, now)
        current = intermediate
    return dict(subject=_subject(leaf), issuer=_subject(root), key=_describe_key(key),
                not_after=_validity(leaf)[1].strftime('%Y-%m-%dT%H:%M:%SZ'))
