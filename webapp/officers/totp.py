"""The officers' second factor: RFC 6238 codes (pyotp), each good once. The time step a
code belongs to is stored when it is accepted, by a conditional UPDATE, so a replayed
code fails even when two requests carry it at the same moment."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from io import BytesIO

import pyotp
import segno
from sqlalchemy import func, or_, update

from webapp.extensions import db
from webapp.models import Officer, utcnow

ISSUER = "KPJku Petugas"
CODE_PATTERN = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32()


def uri(officer: Officer) -> str:
    return pyotp.TOTP(officer.totp_secret).provisioning_uri(name=officer.email, issuer_name=ISSUER)


def qr_svg(officer: Officer) -> str:
    """The enrolment QR as an SVG element, to be placed in the page as it is."""
    out = BytesIO()
    segno.make(uri(officer), error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4, border=2,
        title="Kode QR pendaftaran aplikasi autentikator",
    )
    return out.getvalue().decode()


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step (one before, now, one after) whose code this is, else None."""
    code = code.strip().replace(" ", "")
    if not CODE_PATTERN.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = totp.timecode(datetime.fromtimestamp(now, timezone.utc))
    for step in (current + 1, current, current - 1):
        if totp.verify(code, for_time=step * totp.interval):
            return step
    return None


def accept(officer: Officer, code: str) -> bool:
    """Whether the code is right and has not been used (nor a later one): claimed by a
    conditional UPDATE, which also enrols the officer on their first good code. The
    caller commits."""
    step = matching_step(officer.totp_secret, code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(Officer)
        .where(
            Officer.id == officer.id,
            or_(Officer.totp_last_step.is_(None), Officer.totp_last_step < step),
        )
        .values(
            totp_last_step=step,
            totp_enrolled_at=func.coalesce(Officer.totp_enrolled_at, utcnow()),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(officer)
    return claimed == 1

