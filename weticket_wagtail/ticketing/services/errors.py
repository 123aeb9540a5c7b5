"""Domain errors whose message is fit to show to the buyer."""

from __future__ import annotations


class CheckoutError(Exception):
    """Something the buyer can act on; ``str(error)`` is a translated message for them."""

    code = "checkout_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SoldOut(CheckoutError):
    code = "sold_out"


class NotOnSale(CheckoutError):
    code = "not_on_sale"


class ReservationExpired(CheckoutError):
    code = "reservation_expired"
