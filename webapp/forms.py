"""What every form says about a field left empty, in one wording. The services own the
other rules of their fields."""

from __future__ import annotations

from collections.abc import Mapping


def required(label: str) -> str:
    return f"{label} wajib diisi."


def missing(values: Mapping[str, str | None], labels: Mapping[str, str]) -> dict[str, str]:
    """An error for each labelled field that is empty or only blanks, keyed by field."""
    return {
        name: required(label)
        for name, label in labels.items()
        if not (values.get(name) or "").strip()
    }
