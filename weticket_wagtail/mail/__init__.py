"""The transactional outbox: every email is a row written with the change that causes it.

This app knows no domain. Callers pass a dedupe key, the recipient and the content (or a
template); attachments are named by kind and resolved at send time through
:mod:`weticket_wagtail.mail.attachments`. See :mod:`weticket_wagtail.mail.services`.
"""
