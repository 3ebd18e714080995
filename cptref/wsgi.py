import os

from django.core.wsgi import get_wsgi_application

from cptref import collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptref.settings")
application = get_wsgi_application()
collector.tune()  # the application is loaded: the garbage collector set for a server
