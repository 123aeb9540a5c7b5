"""Cookie consent, built on django-cookie-consent (``cookie_consent``).

django-cookie-consent owns the cookie groups and cookies (its ``CookieGroup`` and ``Cookie``),
the visitor's choice cookie and its versioning: a group's version is the time its newest cookie
was declared, and a choice made for an older version no longer counts. This package adds what a
privacy statement promises on top of it:

* :mod:`.models`: names and descriptions per language, the per-site switch for the banner, and
  the consent log (:class:`~.models.ConsentRecord`), which proves a choice: who (a random consent
  id, a truncated IP address, the browser family), what (the groups accepted and declined, with
  their versions), when, and under which version of the privacy statement;
* :mod:`.defaults`: the groups a site starts with (functional, analytics, marketing);
* :mod:`.choices`: reading and writing the choice cookie, and recording a choice;
* :mod:`.banner`: what the banner shows, cached, so that a page view costs no query;
* :mod:`.views`, :mod:`.blocks`, :mod:`.viewsets`: the endpoint the banner posts to, the
  StreamField blocks (a gated embed, the cookie list of the statement) and the admin.

The banner itself is static JavaScript (``static/weticket_wagtail/consent*.js``) that reads the
choice cookie in the browser, so cached pages carry no visitor's state.
"""
