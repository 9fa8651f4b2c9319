"""Secrets never leave the process: credentials in channel and mirror URLs are stripped or templated.

Two kinds of secret reach envsplit through URLs: ``user:password@`` in the authority and an anaconda.org
style token path segment ``/t/<token>/``. Every URL that is written to a file or printed goes through
:func:`redact_url` (or :func:`redact_text` for free text such as an error from a library that quotes a URL).
"""

from __future__ import annotations

import re

# A token segment right after the host: https://host/t/<token>/channel
_TOKEN = re.compile(r"(?P<pre>://[^/\s]+/t/)(?P<token>[^/\s]+)(?=/)")
# user[:password]@ in the authority of any URL in a text
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")

REDACTED = "<redacted>"


def _token(m: re.Match[str]) -> str:
    token = m.group("token")
    # A ${VAR} placeholder is not a secret: it is how conda-lock templates one, keep it.
    return m.group(0) if _PLACEHOLDER.fullmatch(token) else f"{m.group('pre')}{REDACTED}"


def _userinfo(m: re.Match[str]) -> str:
    userinfo = m.group("userinfo")
    if all(_PLACEHOLDER.fullmatch(part) for part in userinfo.split(":")):
        return m.group(0)
    return m.group("scheme")


def redact_url(url: str) -> str:
    """``https://bot:pw@host/t/abc/conda-forge`` -> ``https://host/t/<redacted>/conda-forge``."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every URL inside ``text`` with its credentials removed; ``${VAR}`` placeholders are kept."""
    return _TOKEN.sub(_token, _USERINFO.sub(_userinfo, text))


def has_secret(text: str) -> bool:
    return redact_text(text) != text
