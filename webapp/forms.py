"""What every form says about a field left empty, in one wording, and the one rule for an
officer's rejection reason (a request's, a claim's). The services own the other rules of
their fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

REASON_MAX = 300  # the columns' width
# Any control character, line breaks included: the reason is one sentence or two, shown
# to the participant as it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Format characters (zero-width spaces, bidi overrides that show text backwards to the
# officer), private-use and unassigned code points: nothing a name or a sentence needs.
_INVISIBLE = {"Cf", "Co", "Cn"}


def required(label: str) -> str:
    return f"{label} wajib diisi."


def missing(values: Mapping[str, str | None], labels: Mapping[str, str]) -> dict[str, str]:
    """An error for each labelled field that is empty or only blanks, keyed by field."""
    return {
        name: required(label)
        for name, label in labels.items()
        if not (values.get(name) or "").strip()
    }


def reason_error(reason: str | None) -> str | None:
    """What is wrong with a rejection reason the participant will read, else None. The
    caller stores it trimmed."""
    text = (reason or "").strip()
    if not text:
        return "Tulis alasan penolakan: peserta akan membacanya."
    if len(text) > REASON_MAX:
        return f"Alasan penolakan paling panjang {REASON_MAX} karakter; yang Anda tulis {len(text)}."
    if _CONTROL.search(text) or has_invisible(text):
        return (
            "Alasan penolakan berisi karakter yang tidak diizinkan (misalnya baris baru). "
            "Tulis dalam satu paragraf."
        )
    return None


def has_invisible(text: str) -> bool:
    """Whether free text carries a character that shows as nothing (or turns what follows
    around): a field of only zero-width spaces looks empty but is not."""
    return any(unicodedata.category(char) in _INVISIBLE for char in text)
