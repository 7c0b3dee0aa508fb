"""`wuye import_people FILE --site CODE --user USERNAME`: the page's owners-and-tenants
import, from a terminal, with a progress bar."""

from wuye.core.management.import_command import ImportCommand
from wuye.people.people_import import JOB_KIND, import_report


class Command(ImportCommand):
    help = "Import owners, tenants and household members from an .xlsx file."
    job_kind = JOB_KIND
    what = "owners and tenants"
    report = staticmethod(import_report)
