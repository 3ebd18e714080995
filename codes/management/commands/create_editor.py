"""Create (or update) an editor: a staff user in the Editors group, who can edit content only;
with --reviewer, in the Reviewers group, who also publish and archive articles."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

EDITORS, REVIEWERS = "Editors", "Reviewers"


class Command(BaseCommand):
    help = "Create an editor account (staff, in the Editors group); asks for the password."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--reviewer",
            action="store_true",
            help="Make the user a reviewer (Reviewers group): also publishes and archives.",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting (for scripts).",
        )

    def handle(self, username, email, password_stdin, reviewer=False, **options):
        if password_stdin:
            password = options.get("stdin", sys.stdin).readline().rstrip("\n")
        else:
            password = self.prompt_password()
        User = get_user_model()
        user = User(username=username, email=email)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        try:
            group = Group.objects.get(name=REVIEWERS if reviewer else EDITORS)
        except Group.DoesNotExist:
            raise CommandError(
                "The Editors and Reviewers groups are missing: run `manage.py migrate` first."
            ) from None
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            user.email = email or user.email
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.add(group)
        verb = "Created" if created else "Updated"
        role = "reviewer" if reviewer else "editor"
        self.stdout.write(f"{verb} {role} {username}: sign in at /admin/.")

    def prompt_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password
