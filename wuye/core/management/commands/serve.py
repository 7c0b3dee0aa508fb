"""`wuye serve [addr:port]`: the web server plus, when no broker is configured, the embedded
scheduler that runs periodic jobs in-process."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from wuye.core.schedule import EmbeddedScheduler


class Command(BaseCommand):
    help = "Serve wuye on addr:port (default 127.0.0.1:8000) with its embedded job scheduler."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        if settings.WUYE_BROKER_URL:
            self.stdout.write("Broker configured: periodic jobs run on Celery beat and workers.")
        else:
            EmbeddedScheduler().start()
            self.stdout.write("No broker configured: jobs and periodic work run in-process.")
        call_command("runserver", addrport, use_reloader=False, use_threading=True)
