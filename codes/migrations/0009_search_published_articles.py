"""Search indexed an article only while it is published: a draft's text must not reach readers
through search results or their snippets.

This migration rebuilt the CPT entries and their triggers with that condition. The index is now
made from the search documents after each migrate (codes/search/documents.py, codes/derived.py),
where the condition is the article document's; nothing is left to do here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("codes", "0008_reviewers_group")]

    operations = []
