"""Give a company the default organisation and authority matrix (R-ADM-01, R-ADM-02)."""

from django.core.management.base import BaseCommand, CommandError

from wuye.core.models import Company
from wuye.staff.services import install_company_defaults


class Command(BaseCommand):
    help = (
        "Create the default departments, posts and authority rules for a company (all companies "
        "when none is named). Safe to run again: only what is missing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument("company", nargs="?", help="The company's name or id.")

    def handle(self, *args, company=None, **options):
        companies = Company.objects.order_by("pk")
        if company:
            lookup = {"pk": int(company)} if company.isdigit() else {"name": company}
            companies = companies.filter(**lookup)
            if not companies.exists():
                raise CommandError(f"No company {company!r}.")
        for each in companies:
            report = install_company_defaults(company=each)
            self.stdout.write(
                f"{each}: {report.departments} departments, {report.posts} posts, "
                f"{report.rules} authority rules added."
            )
