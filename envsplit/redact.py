"""Secrets never leave the process: credentials in channel and mirror URLs are stripped or templated.

Two kinds of secret reach envsplit through URLs: ``user:password@`` in the authority and an anaconda.org
style token path segment ``/t/<token>/``. Every URL written to a lock is a channel's canonical URL, made by
:func:`strip_auth`; every message goes through :func:`redact_url` or :func:`redact_text` (free text such as
an error from a library that quotes a URL). ``${VAR}`` placeholders are kept by all three: they are how a
secret is named without being written (conda-lock's convention).
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote, urlsplit, urlunsplit

# A token segment right after the host: https://host/t/<token>/channel
_TOKEN = re.compile(r"(?P<pre>://[^/\s]+/t/)(?P<token>[^/\s]+)(?=/)")
# user[:password]@ in the authority of any URL in a text
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
# The same token with the ``/t/`` before it and the ``/`` after it, for removing the whole segment.
_TOKEN_SEGMENT = re.compile(r"(?P<pre>://[^/\s]+/t/)(?P<token>[^/\s]+)/")
# A ${VAR} placeholder, written in place of a secret that is read from the environment at fetch time.
PLACEHOLDER = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")

REDACTED = "<redacted>"


def _token(m: re.Match[str]) -> str:
    token = m.group("token")
    # A ${VAR} placeholder is not a secret: it is how conda-lock templates one, keep it.
    return m.group(0) if PLACEHOLDER.fullmatch(token) else f"{m.group('pre')}{REDACTED}"


def _userinfo(m: re.Match[str]) -> str:
    userinfo = m.group("userinfo")
    if all(PLACEHOLDER.fullmatch(part) for part in userinfo.split(":")):
        return m.group(0)
    return m.group("scheme")


def _drop_token(m: re.Match[str]) -> str:
    # ``://host/t/<token>/`` -> ``://host/``: the segment goes with its token, leaving the channel's public URL.
    return m.group(0) if PLACEHOLDER.fullmatch(m.group("token")) else m.group("pre")[: -len("t/")]


def strip_auth(url: str) -> str:
    """A URL fit to be written: ``user:pass@`` and ``/t/<token>`` removed, ``${VAR}`` placeholders kept.

    ``https://bot:pw@host/t/abc/conda-forge`` -> ``https://host/conda-forge``, as conda-lock's ``--strip-auth``
    does for the authority; an anaconda.org token path segment is dropped likewise rather than masked, so
    that the result is still the channel's URL (conda adds a token it knows for that channel when it fetches).
    """
    return _TOKEN_SEGMENT.sub(_drop_token, _USERINFO.sub(_userinfo, url))


def redact_url(url: str) -> str:
    """``https://bot:pw@host/t/abc/conda-forge`` -> ``https://host/t/<redacted>/conda-forge``."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every URL inside ``text`` with its credentials removed; ``${VAR}`` placeholders are kept."""
    return _TOKEN.sub(_token, _USERINFO.sub(_userinfo, text))


def has_secret(text: str) -> bool:
    return redact_text(text) != text


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``http://u:p@host/x`` -> (``http://host/x``, (u, p)); the credentials travel as Basic auth."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """The URL without credentials, and the header that carries them (none without credentials)."""
    bare, credentials = split_credentials(url)
    if credentials is None:
        return bare, {}
    return bare, {"Authorization": "Basic " + base64.b64encode(":".join(credentials).encode()).decode()}
