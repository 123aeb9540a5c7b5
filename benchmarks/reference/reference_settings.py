"""The example site's settings with the bare reservation view of ``reference_urls`` instead of
the site's URLs: same middleware, database and cache, none of the shop."""

from demo.settings import *  # noqa: F403

ROOT_URLCONF = "reference_urls"
