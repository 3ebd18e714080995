from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CodesConfig(AppConfig):
    name = "codes"
    verbose_name = "Codes and articles"

    def ready(self):
        # The search index, the content-version triggers and the editors' rights follow the
        # registry of kinds (codes/kinds.py): made again after each migrate (codes/derived.py).
        from . import derived

        pre_migrate.connect(derived.before_migrate, sender=self)
        post_migrate.connect(derived.after_migrate, sender=self)
