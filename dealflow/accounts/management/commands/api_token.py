from django.core.management.base import BaseCommand, CommandError

from dealflow.accounts.models import User
from dealflow.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (shown only once)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")
        parser.add_argument("--name", default="script", help="A name to recognise the token by.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        _token, raw = api_token_create(user=user, name=options["name"])
        self.stdout.write(raw)
