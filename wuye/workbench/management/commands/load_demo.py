"""Build the demo company through the same services the pages use, so the demo's rows carry
audit entries like real ones. Safe to run again: what exists is left alone."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from wuye.core.models import Company, Site
from wuye.estate import services as estate
from wuye.estate.models import Building, Entrance, Facility, ParkingSpace, Unit
from wuye.people import lifecycle
from wuye.people import services as people
from wuye.people.models import Ownership, Person
from wuye.staff import services as staff
from wuye.staff.models import Employee, Post
from wuye.workbench import demo_data as demo
from wuye.workbench.demo_billing import load_billing
from wuye.workbench.demo_desk import load_desk
from wuye.workbench.demo_portal import load_resident
from wuye.workbench.demo_time import year_of_months

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
        self._residents(admin, main_site)
        months = year_of_months()
        self.created += load_desk(main_site, months)
        self.created += load_billing(main_site, months)
        self.created += load_resident(main_site)
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

    @transaction.atomic
    def _residents(self, admin, site: Site) -> None:
        """Owners for every occupied flat (some co-owned), tenants, dogs and cars."""
        if Ownership.objects.filter(site=site).exists():
            return
        today = timezone.localdate()
        flats = Unit.objects.filter(
            site=site, use=Unit.Use.RESIDENCE, state=Unit.State.OCCUPIED
        ).order_by("code")
        spaces = list(ParkingSpace.objects.filter(site=site).order_by("code"))
        for i, unit in enumerate(flats, start=1):
            owners = [lifecycle.NewOwner(self._resident(admin, site, i))]
            if i % demo.CO_OWNED_EVERY == 0:
                owners.append(lifecycle.NewOwner(self._resident(admin, site, i + 5000)))
            lifecycle.register_move_in(
                unit=unit,
                actor=admin,
                moved_in_on=datetime.date(2019 + i % 5, 1 + i % 12, 1 + i % 28),
                owners=owners,
                checklist=demo.MOVE_IN_CHECKLIST,
                keys_handed=3,
            )
            if i % demo.TENANT_EVERY == 0:
                lease_end = today + datetime.timedelta(days=20 if i % 4 == 0 else 400)
                lifecycle.tenant_move_in(
                    unit=unit,
                    actor=admin,
                    person=self._resident(admin, site, i + 9000),
                    lease_start=lease_end - datetime.timedelta(days=730),
                    lease_end=lease_end,
                )
            if i % demo.DOG_EVERY == 0:
                vaccinated = today - datetime.timedelta(days=300 + i % 90)
                people.add_entry(
                    register="dogs",
                    site=site,
                    actor=admin,
                    keeper=owners[0].person,
                    unit=unit,
                    breed=demo.DOG_BREEDS[i % len(demo.DOG_BREEDS)],
                    licence_number=f"深犬{2024000 + i}",
                    vaccinated_on=vaccinated,
                    vaccination_expiry=vaccinated + datetime.timedelta(days=365),
                )
            if i % demo.CAR_EVERY == 0 and i // demo.CAR_EVERY < len(spaces):
                people.add_entry(
                    register="vehicles",
                    site=site,
                    actor=admin,
                    person=owners[0].person,
                    unit=unit,
                    plate=f"粤B{(i * 7919) % 100000:05d}",
                    brand=demo.CAR_BRANDS[i % len(demo.CAR_BRANDS)],
                    parking_space=spaces[i // demo.CAR_EVERY],
                    space_term_start=datetime.date(today.year, 1, 1),
                    space_term_end=datetime.date(today.year, 12, 31),
                )
        self._community(admin, site, today)
        self.created += Person.objects.filter(site=site).count()

    def _community(self, admin, site: Site, today: datetime.date) -> None:
        """The owners' committee, a few elderly residents the centre looks in on, and a
        foreign family."""
        owners = list(
            Ownership.objects.filter(site=site).select_related("person", "unit").order_by("pk")
        )
        positions = ["chair", "vice_chair", "secretary", "member", "member"]
        for ownership, position in zip(owners[::97], positions, strict=False):
            people.add_entry(
                register="committee",
                site=site,
                actor=admin,
                person=ownership.person,
                position=position,
                term_start=datetime.date(2024, 7, 1),
                term_end=datetime.date(2029, 6, 30),
            )
        carer = Employee.objects.filter(site=site, user__username="clerk").first()
        for ownership in owners[5::151]:
            people.add_entry(
                register="special",
                site=site,
                actor=admin,
                person=ownership.person,
                unit=ownership.unit,
                kind="elderly_alone",
                care_notes="每周电话问候一次，节假日上门探访。",
                carer=carer,
            )
        host = owners[40]
        guest, _created = people.register_person(
            site=site,
            actor=admin,
            name="John Smith",
            nationality="美国",
            id_type=Person.IdType.PASSPORT,
            id_number="533412987",
            phone="+1 650 253 0000",
        )
        people.add_entry(
            register="foreign",
            site=site,
            actor=admin,
            person=guest,
            unit=host.unit,
            visa_kind="工作签证 Z",
            visa_expiry=today + datetime.timedelta(days=25),
            arrived_on=datetime.date(2024, 9, 1),
        )

    @staticmethod
    def _resident(admin, site: Site, i: int) -> Person:
        given = demo.GIVEN_NAMES[(i * 11) % len(demo.GIVEN_NAMES)]
        name = demo.SURNAMES[(i * 7) % len(demo.SURNAMES)] + given
        body = (
            f"{demo.ID_REGIONS[i % len(demo.ID_REGIONS)]}"
            f"{1955 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        )
        person, _created = people.register_person(
            site=site,
            actor=admin,
            name=name,
            id_number=body + demo.id_check_digit(body),
            phone=f"139{10000000 + i * 37:08d}",
        )
        return person

    def _report(self, site: Site) -> None:
        units = Unit.objects.filter(site=site).count()
        self.stdout.write(
            f"Demo site {site.name}: {units} units, "
            f"{ParkingSpace.objects.filter(site=site).count()} parking spaces, "
            f"{Employee.objects.filter(site=site).count()} employees, "
            f"{Person.objects.filter(site=site).count()} customers "
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
        resident = demo.RESIDENT
        self.stdout.write(
            f"Resident portal /portal/login/: {resident['phone']} "
            f"({resident['name']}, owner of {resident['unit']}), same password."
        )
