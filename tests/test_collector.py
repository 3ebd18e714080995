"""The server's entry points set the garbage collector for a long-running process
(cptref/collector.py): checked in a fresh interpreter, since it changes the process."""

import subprocess
import sys

import pytest
from django.conf import settings

from cptref import collector

CHECK = (
    "import gc, os\n"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'cptref.settings'\n"
    "assert gc.get_freeze_count() == 0 and gc.get_threshold() == (700, 10, 10)\n"
    "import {module}\n"
    "print(gc.get_freeze_count(), *gc.get_threshold())\n"
)


@pytest.mark.parametrize("module", ["cptref.wsgi", "cptref.asgi"])
def test_loading_the_application_freezes_what_it_loaded_and_spaces_full_collections(module):
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={"DJANGO_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, *thresholds = (int(n) for n in done.stdout.split())
    assert frozen > 10_000  # the modules, settings and URL patterns, at least
    assert tuple(thresholds) == collector.THRESHOLDS != (700, 10, 10)
