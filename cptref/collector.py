"""Python's garbage collector, set for a long-running server process (cptref/wsgi.py, asgi.py).

Reference counting frees almost everything a request makes; the cyclic collector runs besides,
and its full collections scanned every object of the process: 150,000 once the pages' figures,
statements and templates were loaded, 80-90 ms each, about every 2,000 requests of the estimator
(45 µs a request, bench/README.md § The garbage collector). So, once the application is loaded:

- what exists then (modules, settings, URL patterns, compiled templates) lives as long as the
  process: `gc.freeze()` leaves it out of every collection (a full one then takes about 20 ms);
- a full collection waits for 100 collections of the middle generation instead of 10;
- the youngest generation is collected after 3,000 new objects instead of 700. An index page
  holds more than 700 at once while it builds its table (rows, cells, columns), so it was
  collected about once a request, 130 µs each, mostly the objects of that request, alive and
  moved on to the middle generation, whose collections then took 0.7 ms. The cyclic garbage
  a request leaves (Django's request, its messages and its lazy user refer to one another) is
  still freed within a few requests. A page's tables, forms and filters are taken apart once
  it is written (codes/pageparts.py), so that they and their rows go with the page instead of
  waiting for a collection: the collector's time on a table page fell by two thirds
  (2026-12-06).

Per request, the collector's time fell from 93 to 48 µs on the estimator and from 49 to 18 µs on
the article with the first two (2026-12-04); the third took a page of 50 taxonomies or CPT codes
from 105-115 to 75-85 µs and seven pages together 2% sooner (2026-12-05, bench/README.md).
"""

import gc

# (youngest, middle, oldest): Python's defaults are (700, 10, 10).
THRESHOLDS = (3000, 10, 100)


def tune() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
