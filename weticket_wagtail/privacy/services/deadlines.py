"""When a data-subject request must be answered.

GDPR article 12(3): "without undue delay and in any event within one month of receipt";
extendable "by two further months where necessary", the person being told within the first
month. The statement promises an answer within ``PRIVACY_RESPONSE_WEEKS`` (4): the earlier of
the two is the due date. The clock starts when the requester confirms the request, because
only then do we know the request is theirs.
"""

from __future__ import annotations

import calendar
import datetime

from weticket_wagtail.conf import weticket_settings

#: At most this many months may be added to the first due date (article 12(3)).
MAX_EXTENSION_MONTHS = 2


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months; a day the month lacks becomes its last day.

    31 January + 1 month is 28 February (29 in a leap year); 31 March + 1 month is 30 April.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def due_date(start: datetime.date, *, weeks: int | None = None) -> datetime.date:
    """The due date of a request confirmed on ``start``: the earlier of one month and
    ``weeks`` (default ``PRIVACY_RESPONSE_WEEKS``; 0 or less means the month alone)."""
    weeks = weticket_settings.PRIVACY_RESPONSE_WEEKS if weeks is None else weeks
    month = add_months(start, 1)
    if weeks and weeks > 0:
        return min(month, start + datetime.timedelta(weeks=weeks))
    return month


def extended_due_date(original_due: datetime.date, months: int) -> datetime.date:
    """The due date after extending by ``months`` (1 or 2) from the first due date."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"An extension is 1 to {MAX_EXTENSION_MONTHS} months.")
    return add_months(original_due, months)
