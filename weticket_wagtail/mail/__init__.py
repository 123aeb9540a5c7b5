"""The transactional outbox: every email is a row written with the change that causes it.

This app knows no domain. Callers pass a dedupe key, the recipient and the content (or a
template); attachments are named by kind and resolved at send time through
:mod:`weticket_wagtail.mail.attachments`.

* :mod:`~weticket_wagtail.mail.outbox`: an :class:`~weticket_wagtail.mail.outbox.Email`, queued
  with the change that causes it (``enqueue_email``, ``enqueue_templated_email``,
  ``enqueue_many``, ``render_email``);
* :mod:`~weticket_wagtail.mail.sender`: claiming, delivering and recording (``send_due_messages``,
  ``send_outbox_messages``, ``drain_outbox``), with the exactly-once protocol in its docstring;
  :mod:`~weticket_wagtail.mail.transmit` holds its SMTP and PostgreSQL mechanics;
* :mod:`~weticket_wagtail.mail.reports`: what other apps may know of the rows (the emails about
  a record, how many are in which state);
* :mod:`~weticket_wagtail.mail.tasks`: the Celery tasks; :mod:`~weticket_wagtail.mail.viewsets`:
  the read-only admin.
"""
