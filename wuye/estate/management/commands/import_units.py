"""`wuye import_units FILE --site CODE --user USERNAME`: the page's unit import, from a terminal."""

from wuye.core.management.import_command import ImportCommand
from wuye.estate.unit_import import JOB_KIND, import_report


class Command(ImportCommand):
    help = "Import units from an .xlsx file (the import template's columns)."
    job_kind = JOB_KIND
    what = "units"
    report = staticmethod(import_report)

    def summary(self, result: dict) -> str:
        return (
            f"{result['created']} created, {result['updated']} updated, "
            f"{result['unchanged']} unchanged"
        )
