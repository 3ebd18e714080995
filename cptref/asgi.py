import os

from django.core.asgi import get_asgi_application

from cptref import collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptref.settings")
application = get_asgi_application()
collector.tune()  # the application is loaded: the garbage collector set for a server
