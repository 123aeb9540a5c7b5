"""The privacy side of a ticket business, as a Django app (label ``weticket_privacy``).

What is here so far: the privacy statement page (:mod:`.models`), the processor register and
retention schedule it shows, the immutable history of its versions with a public archive and
diffs (:mod:`.services.versions`), the email to every affected person when a version changes
personal data already collected (:mod:`.services.campaigns`), and the personal-data registry
through which this app finds those people without importing the apps that hold them
(:mod:`.registry`).
"""
