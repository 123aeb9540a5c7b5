from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from weticket_wagtail.fields import rotate_all


class Command(BaseCommand):
    help = _(
        "Re-encrypt every stored secret (such as Mollie API keys) with the first key in "
        "WETICKET['ENCRYPTION_KEYS']. Add the new key first, keep the old ones, run this, "
        "then remove the old keys."
    )

    def handle(self, *args, **options):
        try:
            count = rotate_all()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Re-encrypted %(count)d secret(s) with the newest key.") % {"count": count}
            )
        )
