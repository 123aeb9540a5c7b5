"""``manage.py weticket_purge [--dry-run] [--category C ...]``: run the retention purge now.

A thin caller of :func:`weticket_wagtail.privacy.services.retention.purge`; the periodic task
``purge_task`` runs the same. ``--dry-run`` prints exactly what a real run would do.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from weticket_wagtail.privacy.services import retention


class Command(BaseCommand):
    help = "Anonymise or delete the personal data past its retention period."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be purged; change nothing."
        )
        parser.add_argument(
            "--category",
            action="append",
            dest="categories",
            metavar="CATEGORY",
            help="Only this retention category (repeat for more). Default: every category.",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, dry_run: bool = False, categories=None, batch_size=None, **options):
        try:
            results = retention.purge(categories, dry_run=dry_run, batch_size=batch_size)
        except retention.UnknownCategory as exc:
            raise CommandError(str(exc)) from exc
        for line in describe_results(results, dry_run=dry_run):
            self.stdout.write(line)


def describe_results(results, *, dry_run: bool) -> list[str]:
    """The report, one line per category and one per kind of record touched or held."""
    verb = "would purge" if dry_run else "purged"
    lines = []
    for result in results:
        if result.cutoff is None:
            lines.append(f"{result.category}: kept (no period: never purged by age)")
            continue
        lines.append(
            f"{result.category}: records dated before {result.cutoff.isoformat()}: "
            f"{verb} {result.total}, kept under a hold {result.total_held}"
        )
        for key in sorted(set(result.counts) | set(result.held)):
            lines.append(
                f"  {key}: {verb} {result.counts.get(key, 0)}, held {result.held.get(key, 0)}"
            )
    return lines
