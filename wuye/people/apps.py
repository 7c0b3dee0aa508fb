from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wuye.people"
    label = "people"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Registers the "people.import_people" job handler, so any process can run the job.
        from . import people_import  # noqa: F401
