"""Settings for the benchmark: the project's settings, plus a minimal view and its template.

BENCH_TEMPLATE_DIR names the directory that holds `bench_minimal.html`. Static files use the
plain storage so no collectstatic is needed. The page cache (codes/caching.py) is off unless
BENCH_PAGE_CACHE=on: the article benchmark measures the work of a page, bench/load.py both.
"""

import copy
import os
import warnings

from cptref.settings import *  # noqa: F403
from cptref.settings import STORAGES, TEMPLATES

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

TEMPLATES = copy.deepcopy(TEMPLATES)
if os.environ.get("BENCH_TEMPLATE_DIR"):
    TEMPLATES[0]["DIRS"].append(os.environ["BENCH_TEMPLATE_DIR"])

# WhiteNoise warns that STATIC_ROOT does not exist: collectstatic is not needed here.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if os.environ.get("BENCH_PAGE_CACHE", "off") != "on":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
