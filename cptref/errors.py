"""The 500 handler: a database that went away before the view ran is a 503, like
DatabaseUnavailableMiddleware's, not an error of the site."""

import sys

from django.views import defaults

from .middleware import DATABASE_ERRORS, database_unavailable


def server_error(request):
    # Django calls the handler while it handles the exception, so it is still current.
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(exception)
    return defaults.server_error(request)
