"""Build the demo company through the same services the pages use, so the demo's rows carry
audit entries like real ones. Safe to run again: what exists is left alone."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from wuye.core.models import Company, Site
from wuye.estate import services as estate
from wuye.estate.models import Building, Entrance, Facility, ParkingSpace, Unit
from wuye.staff import services as staff
from wuye.staff.models import Employee, Post
from wuye.workbench import demo_data as demo

ADMIN_LOGIN = "admin"


class Command(BaseCommand):
    help = "Load the demo company: two sites, their buildings, units, parking and staff."

    def handle(self, *args, **options):
        self.created = 0
        admin = self._admin()
        company, _ = Company.objects.get_or_create(
            name=demo.COMPANY["name"], defaults={"short_name": demo.COMPANY["short_name"]}
        )
        staff.install_company_defaults(company=company)
        sites = [self._site(company, spec) for spec in demo.SITES]
        main_site, second_site = sites
        self._estate(admin, main_site, demo.SITES[0], with_extras=True)
        self._estate(admin, second_site, demo.SITES[1], with_extras=False)
        self._employees(admin, main_site, demo.EMPLOYEES)
        self._employees(admin, second_site, demo.SECOND_SITE_EMPLOYEES)
        manager = Employee.objects.get(site=main_site, number="E001").user
        staff.grant_site_access(actor=admin, user=manager, site=second_site)
        self._report(main_site)

    # -----------------------------------------------------------------------------------------

    def _admin(self):
        user_model = get_user_model()
        admin = user_model.objects.filter(username=ADMIN_LOGIN).first()
        if admin is None:
            admin = user_model.objects.create_superuser(
                ADMIN_LOGIN, password=demo.PASSWORD, first_name="系统管理员"
            )
            self.created += 1
        return admin

    def _site(self, company: Company, spec: dict) -> Site:
        site, created = Site.objects.get_or_create(
            code=spec["code"],
            defaults={
                "company": company,
                "name": spec["name"],
                "address": spec["address"],
                "phone": spec["phone"],
            },
        )
        self.created += created
        return site

    @transaction.atomic
    def _estate(self, admin, site: Site, spec: dict, *, with_extras: bool) -> None:
        for code, name, entrances, floors, per_floor in spec["buildings"]:
            if Building.objects.filter(site=site, code=code).exists():
                continue
            building = estate.create_building(
                site=site, actor=admin, code=code, name=name, floors_above=floors, floors_below=1
            )
            for entrance_no in range(1, entrances + 1):
                entrance = estate.create_entrance(
                    building=building, actor=admin, code=str(entrance_no), name=f"{entrance_no}单元"
                )
                self._units(admin, building, entrance, floors, per_floor)
                estate.create_facility(
                    site=site,
                    actor=admin,
                    code=f"LIFT-{code}-{entrance_no}",
                    name=f"{name}{entrance_no}单元电梯",
                    kind=Facility.Kind.LIFT,
                    building=building,
                    location=f"{entrance_no}单元大堂",
                )
            self.created += 1
        if with_extras:
            self._shops(admin, site)
            for code, name, kind, location in demo.FACILITY_EXTRAS:
                if not Facility.objects.filter(site=site, code=code).exists():
                    estate.create_facility(
                        site=site, actor=admin, code=code, name=name, kind=kind, location=location
                    )
        self._parking(admin, site, spec["parking"])

    def _units(self, admin, building: Building, entrance: Entrance, floors: int, per_floor: int):
        units = estate.generate_units(
            building=building,
            actor=admin,
            entrance=entrance,
            first_floor=1,
            last_floor=floors,
            units_per_floor=per_floor,
            floor_area=demo.AREAS[:per_floor],
            state=Unit.State.OCCUPIED,
        )
        for index, unit in enumerate(units, start=1):
            if index % demo.RENOVATING_EVERY == 0:
                estate.update_unit(unit=unit, actor=admin, state=Unit.State.RENOVATING)
            elif index % demo.VACANT_EVERY == 0:
                estate.update_unit(unit=unit, actor=admin, state=Unit.State.VACANT)

    def _shops(self, admin, site: Site) -> None:
        building = Building.objects.get(site=site, code="1")
        for number, area in demo.SHOPS:
            if not Unit.objects.filter(building=building, entrance=None, number=number).exists():
                estate.create_unit(
                    building=building,
                    actor=admin,
                    floor=1,
                    number=number,
                    floor_area=area,
                    use=Unit.Use.SHOP,
                    state=Unit.State.OCCUPIED,
                )

    def _parking(self, admin, site: Site, zones) -> None:
        taken = set(ParkingSpace.objects.filter(site=site).values_list("code", flat=True))
        for prefix, zone, kind, count in zones:
            for n in range(1, count + 1):
                code = f"{prefix}-{n:03d}"
                if code in taken:
                    continue
                state = ParkingSpace.State.SOLD if n % 3 else ParkingSpace.State.RENTED
                estate.create_parking_space(
                    site=site, actor=admin, code=code, zone=zone, kind=kind, state=state
                )
                self.created += 1

    @transaction.atomic
    def _employees(self, admin, site: Site, rows) -> None:
        posts = {post.code: post for post in Post.objects.filter(department__company=site.company)}
        for login, number, name, post_code, phone in rows:
            if Employee.objects.filter(site=site, number=number).exists():
                continue
            post = posts[post_code]
            staff.create_employee(
                actor=admin,
                site=site,
                number=number,
                name=name,
                post=post,
                superior=self._holder(site, post.superior),
                phone=phone,
                username=login or "",
                password=demo.PASSWORD if login else "",
            )
            self.created += 1

    @staticmethod
    def _holder(site: Site, post: Post | None) -> Employee | None:
        """The first employee on `site` holding `post`, walking up the posts until one is held."""
        while post is not None:
            holder = Employee.objects.filter(site=site, post=post).order_by("number").first()
            if holder is not None:
                return holder
            post = post.superior
        return None

    def _report(self, site: Site) -> None:
        units = Unit.objects.filter(site=site).count()
        self.stdout.write(
            f"Demo site {site.name}: {units} units, "
            f"{ParkingSpace.objects.filter(site=site).count()} parking spaces, "
            f"{Employee.objects.filter(site=site).count()} employees "
            f"({self.created} records created this run)."
        )
        self.stdout.write(f"Demo logins (password {demo.PASSWORD}):")
        employees = Employee.objects.filter(site=site, user__isnull=False).select_related(
            "user", "post"
        )
        logins = [(ADMIN_LOGIN, "superuser / Django admin")]
        logins += [(e.user.username, f"{e.name}, {e.post.name}") for e in employees]
        for login, what in logins:
            self.stdout.write(f"  {login:<10} {what}")
