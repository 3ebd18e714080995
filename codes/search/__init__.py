"""The site's search: each kind's search document (documents.py), the index the database builds
from them (index.py), the full-text engines over it (engine.py) and the search itself (query.py).
"""
