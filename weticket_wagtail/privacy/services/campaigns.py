"""Telling everyone affected about a material change of the privacy statement, once each.

A campaign belongs to one material :class:`~weticket_wagtail.privacy.models.PolicyVersion`
and runs in three steps, each safe to repeat, interrupt or run twice at the same time:

1. **Collect** (:func:`collect_recipients`). The personal-data registry streams every distinct
   person the statement's site covers whose data we still hold
   (:mod:`weticket_wagtail.privacy.registry`, ``notice``); those whose language this statement
   serves, and who did not restrict or object to processing, become :class:`CampaignRecipient`
   rows, bulk-inserted in
   batches that ignore duplicates. The table's unique ``(campaign, email)`` constraint (one
   campaign per version) makes this *once per person per version*, however often it runs.
2. **Queue** (:func:`queue_next_batch`). Under a lock on the campaign row, the next batch of
   recipients not yet queued becomes outbox rows (dedupe key ``policy:<version pk>:<email>``,
   rendered in the statement's language) in the same transaction that marks them queued. Each
   row gets a ``send_after`` time spread at ``CAMPAIGN_RATE_PER_SECOND``: the pace is stored
   with the rows, so it holds across workers, restarts and the outbox's own sweep.
3. **Send** (:func:`run_campaign`). Due rows of the campaign are sent through the outbox
   (:func:`weticket_wagtail.mail.sender.send_outbox_messages`), whose per-message protocol
   records each message in step with its delivery (see :mod:`weticket_wagtail.mail.sender`).

A worker that dies leaves: a partly collected campaign (collected again, duplicates ignored), a
queueing transaction that rolled back (queued again), rows it had claimed (sent by another
sender once their lease of ``CAMPAIGN_LEASE_SECONDS`` has expired) and rows not yet due (sent
when due). The periodic resume task restarts campaigns whose task stopped
(:func:`claim_stalled_campaigns`).

Which statement writes to whom: with Wagtail's i18n, each translation of the statement is a
page with its own versions. A material version of the Dutch statement is sent to people whose
language is Dutch; the statement in the site's default language also covers everyone whose
language has no translation (:class:`LanguageRouter`). An editor who changes both translations
publishes both as material, and each person hears of the change once, in their language.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.mail.outbox import Email, enqueue_many, render_email
from weticket_wagtail.mail.reports import status_counts
from weticket_wagtail.mail.sender import due_message_pks, next_send_at, send_outbox_messages

from ..models import CampaignRecipient, NotificationCampaign, PolicyVersion
from ..registry import personal_data
from ..sites import absolute_page_url
from .flags import exclude_limited

logger = logging.getLogger(__name__)

TOPIC = "policy_change"
TEMPLATE = "weticket_wagtail/privacy/email/policy_change"
#: Stands for the recipient's name while an email is rendered once for a whole batch.
NAME_PLACEHOLDER = "[[weticket-recipient-name]]"
#: Messages handed to the mail server per claim when nothing slows the campaign down.
SEND_CHUNK = 100
#: Queue the next batch when the rows queued so far are all due within this time.
LOOKAHEAD = timedelta(seconds=2)
#: A campaign whose next row is due later than this stops its task instead of waiting.
MAX_IDLE = timedelta(seconds=10)
#: How often a running campaign records that it is alive.
HEARTBEAT_EVERY = 1.0

Status = NotificationCampaign.Status


class Outcome(enum.Enum):
    """What :func:`run_campaign` left behind."""

    FINISHED = "finished"  # every recipient was sent to, or given up on by the outbox
    MORE = "more"  # the time budget ran out: run again at once
    WAITING = "waiting"  # only rows that are not due yet (or held by another sender) are left


@dataclass(frozen=True)
class Progress:
    """A campaign's numbers for the admin: people found, emails sent, failing, still to go."""

    recipients: int
    queued: int
    sent: int
    failed: int

    @property
    def waiting(self) -> int:
        return max(0, self.recipients - self.sent - self.failed)

    @property
    def percent_done(self) -> int:
        if not self.recipients:
            return 100 if self.queued == 0 else 0
        return int(100 * (self.sent + self.failed) / self.recipients)


# --- starting -------------------------------------------------------------------------------


def claim_stalled_campaigns(now: datetime | None = None) -> list[int]:
    """Take the campaigns that are not finished and whose task showed no sign of life lately.

    "Lately" is ``CAMPAIGN_STALLED_AFTER_SECONDS``. Each stalled campaign is taken by a
    compare-and-set on its heartbeat, so two sweeps do not both take it. Returns the primary
    keys taken: the caller restarts each with ``CAMPAIGN_SENDERS`` tasks
    (:func:`weticket_wagtail.privacy.tasks.resume_campaigns_task`).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=weticket_settings.CAMPAIGN_STALLED_AFTER_SECONDS)
    stalled = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    unfinished = NotificationCampaign.objects.exclude(status=Status.FINISHED)
    return [
        pk
        for pk in unfinished.filter(stalled).values_list("pk", flat=True)
        if unfinished.filter(stalled, pk=pk).update(heartbeat_at=now)
    ]


# --- who --------------------------------------------------------------------------------------


class LanguageRouter:
    """Which translation of a statement speaks to a person, by the person's language."""

    def __init__(self, page: Page):
        translations = page.get_translations(inclusive=True).live().select_related("locale")
        self.language = page.locale.language_code
        self.languages = {translation.locale.language_code for translation in translations}
        self.languages.add(self.language)
        default = _content_language(settings.LANGUAGE_CODE)
        if default in self.languages:
            self.fallback = default
        else:  # no translation in the default language: the oldest translation covers the rest
            oldest = min(translations, key=lambda translation: translation.pk, default=page)
            self.fallback = oldest.locale.language_code

    def language_for(self, language: str) -> str:
        """The statement language that speaks to someone whose language is ``language``."""
        code = _content_language(language) if language else ""
        return code if code in self.languages else self.fallback

    def covers(self, language: str) -> bool:
        """Whether this page's statement is the one that speaks to ``language``."""
        return self.language_for(language) == self.language

    def describe(self) -> list[str]:
        return [self.language, "*"] if self.fallback == self.language else [self.language]


def _content_language(language: str) -> str:
    try:
        return get_supported_content_language_variant(language)
    except LookupError:
        return ""


def collect_recipients(campaign: NotificationCampaign, *, batch_size: int, heartbeat=None) -> int:
    """Write a recipient row for every person this campaign speaks to; return how many.

    Who: the people whose data the statement covers, as the registry's ``notice`` scopes say
    for the statement's site (buyers with paid orders of the site's organisations, their
    contacts and staff; never an address nobody confirmed), in the languages this statement
    serves, without those who restricted or objected to processing (:mod:`.flags`).
    Streams the registry in batches of ``batch_size``; each batch is one bulk insert that
    ignores people already written (a re-run after a crash, or a twin task). Marks the campaign
    collected (and sending) when done; a campaign already collected is left as it is.
    """
    router = LanguageRouter(campaign.version.page)
    site = campaign.version.page.get_site()
    NotificationCampaign.objects.filter(pk=campaign.pk).update(languages=router.describe())
    for batch in personal_data.subjects(batch_size=batch_size, site=site):
        limited = exclude_limited(subject.email for subject in batch)
        CampaignRecipient.objects.bulk_create(
            [
                CampaignRecipient(
                    campaign_id=campaign.pk,
                    email=subject.email[:254],
                    name=subject.name[:200],
                    language=subject.language[:15],
                )
                for subject in batch
                if router.covers(subject.language) and subject.email not in limited
            ],
            ignore_conflicts=True,
        )
        if heartbeat is not None:
            heartbeat()
    total = CampaignRecipient.objects.filter(campaign_id=campaign.pk).count()
    NotificationCampaign.objects.filter(pk=campaign.pk, collected_at__isnull=True).update(
        collected_at=timezone.now(), status=Status.SENDING, recipients_total=total
    )
    return total


def collect_if_needed(campaign_pk: int) -> bool:
    """Collect the recipients of campaign ``campaign_pk`` unless that was done; return whether
    this call collected them."""
    campaign = NotificationCampaign.objects.select_related("version").filter(pk=campaign_pk).first()
    if campaign is None or campaign.collected_at is not None:
        return False
    batch_size = max(1, int(weticket_settings.CAMPAIGN_BATCH_SIZE))
    collect_recipients(campaign, batch_size=batch_size, heartbeat=_Heartbeat(campaign_pk))
    return True


# --- what -------------------------------------------------------------------------------------


def dedupe_key(version: PolicyVersion, email: str) -> str:
    """``policy:<version pk>:<email>``: one email per person per version, ever.

    An address too long for the outbox's key (200 characters) is keyed by its SHA-256.
    """
    key = f"policy:{version.pk}:{email}"
    if len(key) > 200:
        key = f"policy:{version.pk}:sha256:{hashlib.sha256(email.encode()).hexdigest()}"
    return key


class CampaignEmail:
    """The email of one version, rendered once per batch and personalised per recipient."""

    def __init__(self, version: PolicyVersion):
        self.version = version
        self.language = version.locale.language_code
        self._rendered: dict[bool, tuple[str, str, str]] = {}
        page = version.page
        previous = (
            PolicyVersion.objects.filter(page_id=version.page_id, number__lt=version.number)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        specific = page.specific
        self.context = {
            "version": version,
            "site_name": _site_name(page),
            "statement_url": absolute_page_url(page),
            "version_url": absolute_page_url(page, specific.version_path(version.number)),
            "diff_url": (
                absolute_page_url(page, specific.diff_path(previous, version.number))
                if previous
                else ""
            ),
            "contact_email": _contact_email(),
        }

    def _render(self, with_name: bool) -> tuple[str, str, str]:
        if with_name not in self._rendered:
            context = {**self.context, "recipient_name": NAME_PLACEHOLDER if with_name else ""}
            self._rendered[with_name] = render_email(TEMPLATE, context, self.language)
        return self._rendered[with_name]

    def email_for(self, recipient: dict, send_after: datetime) -> Email:
        """The email of one recipient, to be sent from ``send_after`` on."""
        name = recipient["name"].strip()
        subject, text, html = self._render(bool(name))
        return Email(
            dedupe_key=dedupe_key(self.version, recipient["email"]),
            to=recipient["email"],
            subject=subject,
            text=text.replace(NAME_PLACEHOLDER, name),
            html=html.replace(NAME_PLACEHOLDER, escape(name)),
            language=self.language,
            topic=TOPIC,
            object_ref=self.version.object_ref,
            reply_to=self.context["contact_email"],
            send_after=send_after,
        )


def _site_name(page: Page) -> str:
    site = page.get_site()
    return (site.site_name if site else "") or getattr(settings, "WAGTAIL_SITE_NAME", "")


def _contact_email() -> str:
    configured = weticket_settings.PRIVACY_CONTACT_EMAIL or weticket_settings.FROM_EMAIL
    return parseaddr(configured)[1]


def queue_next_batch(
    campaign_pk: int, *, batch_size: int, rate: float, email: CampaignEmail | None = None
) -> int:
    """Turn the next ``batch_size`` recipients not yet queued into outbox rows; return how many.

    One transaction, under a lock on the campaign row (so two tasks queue one after the other,
    never the same people): the outbox rows are inserted (existing dedupe keys ignored), the
    recipients marked queued, and the campaign's schedule extended. Row *i* of the batch is due
    ``i / rate`` seconds after the previous batch's last row (or now); ``rate`` 0 means all now.
    """
    with transaction.atomic():
        campaign = NotificationCampaign.objects.select_for_update().get(pk=campaign_pk)
        recipients = list(
            CampaignRecipient.objects.filter(campaign_id=campaign_pk, queued_at__isnull=True)
            .order_by("pk")
            .values("pk", "email", "name")[:batch_size]
        )
        if not recipients:
            return 0
        email = email or CampaignEmail(campaign.version)
        now = timezone.now()
        start = max(now, campaign.scheduled_until or now)
        step = timedelta(seconds=1 / rate) if rate > 0 else timedelta(0)
        enqueue_many(
            (
                email.email_for(recipient, send_after=start + index * step)
                for index, recipient in enumerate(recipients)
            ),
            batch_size=batch_size,
        )
        CampaignRecipient.objects.filter(pk__in=[r["pk"] for r in recipients]).update(queued_at=now)
        NotificationCampaign.objects.filter(pk=campaign_pk).update(
            scheduled_until=start + len(recipients) * step
        )
    return len(recipients)


# --- running ----------------------------------------------------------------------------------


class _Heartbeat:
    def __init__(self, campaign_pk: int):
        self.campaign_pk = campaign_pk
        self._last = 0.0

    def __call__(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= HEARTBEAT_EVERY:
            self._last = now
            NotificationCampaign.objects.filter(pk=self.campaign_pk).update(
                heartbeat_at=timezone.now()
            )


def run_campaign(
    campaign_pk: int,
    *,
    time_budget: float | None = None,
    connection=None,
    sleep=time.sleep,
) -> tuple[Outcome, float]:
    """Work on campaign ``campaign_pk`` for up to ``time_budget`` seconds (``None``: no limit).

    Returns what is left (:class:`Outcome`) and, for ``WAITING``, the seconds until the next
    row is due (0 when unknown). Collects the recipients if that is not done, then queues and
    sends, at the campaign's pace, until everything is sent, the budget is spent, or only rows
    that are not due yet remain. Safe to call concurrently for the same campaign.
    """
    campaign = NotificationCampaign.objects.select_related("version").filter(pk=campaign_pk).first()
    if campaign is None or campaign.status == Status.FINISHED:
        return Outcome.FINISHED, 0.0
    deadline = time.monotonic() + time_budget if time_budget else None
    heartbeat = _Heartbeat(campaign_pk)
    heartbeat(force=True)
    batch_size = max(1, int(weticket_settings.CAMPAIGN_BATCH_SIZE))
    rate = float(weticket_settings.CAMPAIGN_RATE_PER_SECOND or 0)
    lease = timedelta(seconds=weticket_settings.CAMPAIGN_LEASE_SECONDS)
    if campaign.collected_at is None:
        collect_recipients(campaign, batch_size=batch_size, heartbeat=heartbeat)
    email = CampaignEmail(campaign.version)
    ref = campaign.version.object_ref
    chunk = SEND_CHUNK if rate <= 0 else max(1, min(SEND_CHUNK, int(rate)))
    connection = connection or get_connection(fail_silently=False)
    fruitless = 0
    try:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return Outcome.MORE, 0.0
            heartbeat()
            pks = due_message_pks(chunk, object_ref=ref)
            if pks:
                sent = send_outbox_messages(pks, connection=connection, lease=lease)
                fruitless = 0 if sent else fruitless + 1
                if fruitless >= 3:  # the mail server is down: the rows wait for their retry
                    return Outcome.WAITING, 0.0
                continue
            if _schedule_runs_out(campaign_pk) and queue_next_batch(
                campaign_pk, batch_size=batch_size, rate=rate, email=email
            ):
                continue
            wait = _seconds_until_next(ref, campaign_pk, lease)
            if wait is None:
                _finish(campaign_pk)
                return Outcome.FINISHED, 0.0
            if wait > MAX_IDLE.total_seconds():
                return Outcome.WAITING, wait
            if deadline is not None and time.monotonic() + wait >= deadline:
                return Outcome.MORE, 0.0
            sleep(max(wait, 0.005))
    finally:
        connection.close()


def _schedule_runs_out(campaign_pk: int) -> bool:
    scheduled_until = (
        NotificationCampaign.objects.filter(pk=campaign_pk)
        .values_list("scheduled_until", flat=True)
        .first()
    )
    return scheduled_until is None or scheduled_until <= timezone.now() + LOOKAHEAD


def _seconds_until_next(ref: str, campaign_pk: int, lease: timedelta) -> float | None:
    """Seconds until something of the campaign can be sent; ``None`` when nothing is left.

    Something is left when a row waits for its time or its retry, when a row is held by a
    sender (alive, or dead until its lease expires), or when recipients are not yet queued.
    """
    moment = next_send_at(object_ref=ref)
    if moment is not None:
        return max(0.0, (moment - timezone.now()).total_seconds())
    unqueued = CampaignRecipient.objects.filter(campaign_id=campaign_pk, queued_at__isnull=True)
    if unqueued.exists():
        return 0.0  # another task is queueing them right now
    return None


def _finish(campaign_pk: int) -> None:
    NotificationCampaign.objects.filter(pk=campaign_pk).exclude(status=Status.FINISHED).update(
        status=Status.FINISHED, finished_at=timezone.now()
    )


# --- progress ---------------------------------------------------------------------------------


def progress(campaign: NotificationCampaign) -> Progress:
    """How far ``campaign`` is: recipients found, queued, sent, and failing (will retry)."""
    counts = status_counts(campaign.version.object_ref)
    if campaign.collected_at is not None:
        recipients = campaign.recipients_total
    else:
        recipients = CampaignRecipient.objects.filter(campaign_id=campaign.pk).count()
    return Progress(
        recipients=recipients,
        queued=counts.total,
        sent=counts.sent,
        failed=counts.failed,
    )
