"""`wuye import_history FILE --site CODE --user USERNAME`: the past-bills import page, from a
terminal, with a progress bar."""

from wuye.core.management.import_command import ImportCommand
from wuye.pastbills.services import JOB_KIND, import_report


class Command(ImportCommand):
    help = "Import a site's past bills and payments from an .xlsx file."
    job_kind = JOB_KIND
    what = "past bills and payments"
    report = staticmethod(import_report)

    def summary(self, result: dict) -> str:
        keys = ("rows", "lines", "payments", "paid", "already_imported", "already_billed")
        text = ", ".join(f"{result[key]} {key.replace('_', ' ')}" for key in keys)
        flags = "".join(
            f"\n  row {f['row']} {f['column']}: {f['message']}" for f in result["flags"]
        )
        return text + (f"\nflagged for cleaning:{flags}" if flags else "")
