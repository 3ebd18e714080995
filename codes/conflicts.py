"""What a save based on a stale version raises (codes/locking.py). A module of its own because
django-concurrency imports its callback (settings.CONCURRENCY_CALLBACK) while codes/locking.py
is still importing the library."""


class EditConflict(Exception):
    """The record changed, or was deleted, since the version the save was based on."""

    def __init__(self, instance, expected: int):
        self.instance, self.expected = instance, expected
        model = instance._meta.verbose_name
        super().__init__(
            f"The {model} “{instance}” changed since version {expected} was opened; "
            "nothing was saved."
        )


def refuse_stale_save(instance) -> None:
    """django-concurrency's callback for a save whose version the row no longer has; the
    instance still holds the version it was read with."""
    raise EditConflict(instance, instance.version)
