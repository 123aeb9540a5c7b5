"""How the package starts background work: always after the current transaction commits.

Work that is started by a change (send the confirmation of this order) must never run before
that change is committed: a worker that picks up the task first would not see the new rows, and
a transaction that rolls back must start nothing at all. So every task goes through
:func:`run_task`, which waits for ``transaction.on_commit``.

With a broker (``WETICKET["BROKER_URL"]`` or ``CELERY_BROKER_URL``) the task is queued for a
Celery worker; without one (or with ``CELERY_TASK_ALWAYS_EAGER``) it runs in this process, still
after the commit. Either way the work itself is recorded in the database first (an outbox row),
so a broker that is down loses nothing: the periodic sweep picks it up.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

from .conf import weticket_settings
from .logsafe import scrub_error

logger = logging.getLogger(__name__)


def uses_broker(task: Any) -> bool:
    """Whether ``task`` would go to a Celery worker (a broker is set and eager mode is off)."""
    return bool(weticket_settings.BROKER_URL) and not task.app.conf.task_always_eager


def task_named(name: str) -> Any:
    """The registered Celery task called ``name`` (its dotted path, Celery's default name).

    Services start work by name, so a service never imports the tasks module that calls it
    (Celery's own advice against circular imports); each app imports its tasks in ``ready()``.
    """
    from celery import current_app

    return current_app.tasks[name]


def run_task(task: Any, *args: Any) -> None:
    """Run the Celery ``task`` (a task, or its name) with ``args`` once the current transaction
    has committed.

    Outside a transaction the callback runs at once. If the transaction rolls back, nothing
    runs. Failures to queue (broker down) or of an eager run are logged, never raised into the
    request that committed: the committed state is what counts, and the task's work is retried
    from the database by a periodic sweep.
    """
    if isinstance(task, str):
        task = task_named(task)
    if uses_broker(task):
        callback = partial(_queue, task, args)
    else:
        callback = partial(_apply, task, args)
    transaction.on_commit(callback, robust=True)


def _queue(task: Any, args: tuple) -> None:
    task.delay(*args)


def _apply(task: Any, args: tuple) -> None:
    result = task.apply(args=args)
    if result.failed():
        # An exception's text may quote a row (a token, an email address): log it scrubbed.
        error = scrub_error(f"{type(result.result).__name__}: {result.result}")
        logger.error("Task %s%r failed when run eagerly: %s", task.name, args, error)
