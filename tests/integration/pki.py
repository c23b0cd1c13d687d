"""Throw-away certificates for the TLS tests, made with openssl at run time (never committed)."""
import subprocess


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=str(cwd), capture_output=True, check=True)


def make_ca(work, subject, cert="ca.pem", key="ca-key.pem"):
    """A self-signed RSA CA in ``work``: ``cert`` and its ``key``."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=%s" % subject,
            "-keyout", key, "-out", cert, cwd=work)


def issue(work, name, extensions, ca="ca.pem", ca_key="ca-key.pem"):
    """``<name>.pem`` and ``<name>-key.pem`` in ``work``, signed by the CA, with the given x509v3
    extension lines (subjectAltName, extendedKeyUsage)."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % name, "-keyout", "%s-key.pem" % name,
            "-out", "%s.csr" % name, cwd=work)
    (work / ("%s.ext" % name)).write_text(extensions + "\n")
    openssl("x509", "-req", "-in", "%s.csr" % name, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", "%s.ext" % name, "-out", "%s.pem" % name, cwd=work)
