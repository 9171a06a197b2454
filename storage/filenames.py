"""File names made from data (a section's name, a metric, a period): safe to write under a folder, whatever the data says.

A catalog is user data, so a section named `../../../../tmp/x/PWNED` or `a/b` reaches chart names. Every name
written from data goes through safe_filename, and every path written inside a folder through path_inside.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

# Leaves room for the digest and period a dry run puts in front of a chart's name, inside the 255 bytes a
# file system allows for one name.
MAX_STEM = 80
HASH_LENGTH = 8
_NOT_SAFE = re.compile(r"[^A-Za-z0-9]+")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


class UnsafePath(ValueError):
    """A path that would be written outside the folder it belongs in."""


def safe_stem(text: str, fallback: str = "file", max_length: int = MAX_STEM) -> str:
    """`text` as a file name without extension: ASCII letters, digits and single dashes, at most `max_length`.

    Accents are dropped (Équipe -> Equipe); every run of anything else, dots and slashes included, becomes one
    dash. Never empty (`fallback`), so never `.` or `..`. A name cut to length ends in a short hash of the whole
    text, so two long names that share their start still get different files.
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    stem = _NOT_SAFE.sub("-", ascii_text).strip("-")
    if len(stem) > max_length:
        digest = hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:HASH_LENGTH]
        stem = stem[:max_length - HASH_LENGTH - 1].rstrip("-") + "-" + digest
    return stem or safe_stem(fallback, "file", max_length)


def period_stem(label: str) -> str:
    """A period's label in a file name: 2025/26 Q2 -> 2025-26-Q2, Sep 2025 -> Sep-2025, 2025-W41 as it is."""
    return safe_stem(label, fallback="period")


def safe_filename(name: str, fallback: str = "file", max_length: int = MAX_STEM) -> str:
    """`name` made safe, keeping a short extension (`../../x/PWNED.png` -> `x-PWNED.png`, `a/b.png` -> `a-b.png`)."""
    stem, dot, extension = str(name).rpartition(".")
    if not dot or not _EXTENSION.fullmatch(extension):
        return safe_stem(name, fallback, max_length)
    return f"{safe_stem(stem, fallback, max_length)}.{extension.lower()}"


def path_inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused (UnsafePath) unless it resolves inside `folder`: a name that climbs out, or a
    link already in the folder pointing elsewhere, is never written through."""
    root = Path(folder).resolve()
    path = Path(folder) / name
    resolved = path.resolve()
    if resolved == root or root not in resolved.parents:
        raise UnsafePath(f"{path} is not inside {folder}; nothing was written there")
    return path
