"""The staff pages of the customer registers, through the HTTP interface, with the personas."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wuye.estate.models import Unit
from wuye.people import lifecycle, services
from wuye.people.models import (
    MoveIn,
    Ownership,
    OwnershipTransfer,
    Person,
    PersonalDataView,
    Pet,
    RegisterSettings,
    Tenancy,
    Vehicle,
)
from wuye.people.registers import REGISTERS

from .conftest import make_id

PHONE = "13812345678"
PHONE_MASKED = "138****5678"


@pytest.fixture
def owned_unit(vacant_units, zhang, clerk_a):
    unit = vacant_units[0]
    lifecycle.register_move_in(
        unit=unit,
        actor=clerk_a,
        moved_in_on=datetime.date(2024, 5, 1),
        owners=[lifecycle.NewOwner(person=zhang)],
        checklist=["keys"],
        keys_handed=2,
    )
    return unit


def _move_in_data(**overrides):
    data = {
        "moved_in_on": "2025-03-01",
        "keys_handed": "2",
        "checklist": ["keys", "access_card"],
        "note": "",
        "owner-0-name": "王小明",
        "owner-0-kind": "individual",
        "owner-0-id_number": make_id("19880412", "135", "310104"),
        "owner-0-phone": "13700001111",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------------------------
# Every page, and who may see it


def test_every_customer_page_renders_for_the_clerk_of_the_site(
    owned_unit, vacant_units, zhang, clerk_a, client_of
):
    client = client_of(clerk_a)
    paths = [
        "/people/",
        "/people/?q=zs",
        "/people/?to_clean=1",
        "/people/new/",
        f"/people/{zhang.pk}/",
        f"/people/{zhang.pk}/edit/",
        "/people/registers/",
        f"/people/units/{owned_unit.pk}/occupants/",
        f"/people/units/{vacant_units[1].pk}/move-in/",
        f"/people/units/{owned_unit.pk}/transfer/",
        f"/people/units/{owned_unit.pk}/tenant/",
        "/people/verification/",
        "/people/pick/?field=person&person__find=zhang",
        f"/estate/units/{owned_unit.pk}/",
    ]
    for code in REGISTERS:
        paths += [
            f"/people/registers/{code}/",
            f"/people/registers/{code}/?ended=1",
            f"/people/verification/{code}/",
        ]
        if code != "owners":
            paths.append(f"/people/registers/{code}/new/?unit={owned_unit.pk}")
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_the_manager_sees_the_privacy_report_and_settings_and_the_clerk_does_not(
    manager, clerk_a, client_of
):
    client = client_of(manager)
    assert client.get("/people/privacy/").status_code == 200
    assert client.get("/people/settings/").status_code == 200
    client = client_of(clerk_a)
    assert client.get("/people/privacy/").status_code == 403
    assert client.get("/people/settings/").status_code == 403


def test_r_cus_04_a_clerk_of_site_b_gets_404_for_site_a_people_and_units(
    owned_unit, zhang, clerk_b, client_of
):
    client = client_of(clerk_b)
    tenancy_unit = owned_unit
    for path in [
        f"/people/{zhang.pk}/",
        f"/people/{zhang.pk}/edit/",
        f"/people/units/{tenancy_unit.pk}/occupants/",
        f"/people/units/{tenancy_unit.pk}/move-in/",
        f"/people/units/{tenancy_unit.pk}/transfer/",
        f"/people/units/{tenancy_unit.pk}/tenant/",
        f"/people/registers/owners/{Ownership.objects.get().pk}/end/",
    ]:
        assert client.get(path).status_code == 404, path
    response = client.post(f"/people/{zhang.pk}/edit/", {"name": "改名", "kind": "individual"})
    assert response.status_code == 404
    zhang.refresh_from_db()
    assert zhang.name == "张三"
    listing = client.get("/people/?q=张三")
    assert listing.context["rows"] == []
    picked = client.get("/people/pick/?field=person&person__find=张三").content.decode()
    assert "张三" not in picked


def test_the_cashier_may_look_but_not_register(owned_unit, zhang, cashier_a, client_of):
    client = client_of(cashier_a)
    assert client.get("/people/").status_code == 200
    assert client.get(f"/people/{zhang.pk}/").status_code == 200
    for path in [
        "/people/new/",
        f"/people/{zhang.pk}/edit/",
        f"/people/units/{owned_unit.pk}/transfer/",
        "/people/registers/dogs/new/",
    ]:
        assert client.get(path).status_code == 403, path
    page = client.get(f"/people/{zhang.pk}/").content.decode()
    assert f"/people/{zhang.pk}/edit/" not in page


# ---------------------------------------------------------------------------------------------
# Privacy (R-CUS-04)


def test_r_cus_04_the_cashier_sees_masked_numbers_and_no_look_is_logged(
    owned_unit, zhang, cashier_a, client_of
):
    client = client_of(cashier_a)
    pages = [
        client.get("/people/").content.decode(),
        client.get(f"/people/{zhang.pk}/").content.decode(),
        client.get(f"/people/units/{owned_unit.pk}/occupants/").content.decode(),
        client.get("/people/registers/owners/").content.decode(),
    ]
    for page in pages:
        assert PHONE not in page
        assert make_id() not in page
    assert PHONE_MASKED in pages[0]
    assert zhang.id_number_masked in pages[1]
    assert PHONE_MASKED in pages[2]
    assert PersonalDataView.objects.count() == 0


def test_r_cus_04_the_clerk_sees_full_numbers_and_each_look_is_logged(
    owned_unit, zhang, clerk_a, client_of
):
    client = client_of(clerk_a)
    listing = client.get("/people/").content.decode()
    assert PHONE in listing
    assert make_id() in listing
    detail = client.get(f"/people/{zhang.pk}/").content.decode()
    assert make_id() in detail
    client.get(f"/people/units/{owned_unit.pk}/occupants/", HTTP_HX_REQUEST="true")
    looks = list(PersonalDataView.objects.order_by("id"))
    assert [(v.actor, v.person, v.where) for v in looks] == [
        (clerk_a, zhang, "/people/"),
        (clerk_a, zhang, f"/people/{zhang.pk}/"),
        (clerk_a, zhang, f"/people/units/{owned_unit.pk}/occupants/"),
    ]
    assert looks[0].fields == "id_number,phone"


def test_the_people_list_runs_the_same_queries_for_5_or_30_people(
    site_a, building_a, clerk_a, client_of, django_assert_max_num_queries
):
    def add_people(start, count):
        for i in range(start, start + count):
            unit = Unit.objects.create(
                site=site_a,
                building=building_a,
                floor=2,
                number=f"{i:04d}",
                code=f"1-{i:04d}",
                floor_area=Decimal("80"),
            )
            person, _created = services.register_person(
                site=site_a,
                actor=clerk_a,
                name=f"业主{i}",
                id_number=make_id(seq=f"{i:03d}"),
                phone=f"1390000{i:04d}",
            )
            services.add_entry(
                register="owners",
                site=site_a,
                actor=clerk_a,
                person=person,
                unit=unit,
                share=Decimal("100"),
                title_date=datetime.date(2024, 1, 1),
            )

    client = client_of(clerk_a)
    add_people(1, 5)
    client.get("/people/")
    with CaptureQueriesContext(connection) as five:
        response = client.get("/people/")
    assert len(response.context["rows"]) == 5
    add_people(6, 25)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get("/people/")
    assert len(response.context["rows"]) == 30
    assert all(units for _p, _n, units in response.context["rows"])


# ---------------------------------------------------------------------------------------------
# People


def test_r_cus_01_a_new_person_with_a_wrong_id_check_digit_gets_400_and_nothing_is_written(
    clerk_a, client_of
):
    good = make_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client_of(clerk_a).post(
        "/people/new/", {"name": "赵六", "kind": "individual", "id_number": bad}
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["id_number"]] == [
        "bad_checksum"
    ]
    assert not Person.objects.exists()


def test_r_cus_01_registering_a_known_document_number_merges_and_says_so(zhang, clerk_a, client_of):
    client = client_of(clerk_a)
    response = client.post(
        "/people/new/",
        {"name": "张三", "kind": "individual", "id_number": make_id(), "phone": ""},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/people/{zhang.pk}/"
    assert Person.objects.count() == 1
    assert "已登记" in response.content.decode() or "already registered" in str(
        list(response.context["messages"])[0]
    )


def test_editing_a_person_keeps_the_numbers_unless_they_are_changed(zhang, clerk_a, client_of):
    client = client_of(clerk_a)
    form = client.get(f"/people/{zhang.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(name="张三丰", note="新备注")
    response = client.post(f"/people/{zhang.pk}/edit/", data)
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert (zhang.name, zhang.note, zhang.phone_masked) == ("张三丰", "新备注", PHONE_MASKED)
    response = client.post(f"/people/{zhang.pk}/edit/", {**data, "phone": "12345"})
    assert response.status_code == 400
    assert "phone" in response.context["form"].errors


def test_the_people_list_finds_by_pinyin_initials_unit_and_phone(
    owned_unit, zhang, li, clerk_a, client_of
):
    client = client_of(clerk_a)
    for q in ["zhangsan", "zs", "张", owned_unit.code, "5678"]:
        rows = client.get("/people/", {"q": q}).context["rows"]
        assert [p for p, _n, _u in rows] == [zhang], q
    fragment = client.get("/people/", {"q": "lisi"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert "李四" in fragment.content.decode()


def test_the_person_picker_offers_matching_people_without_numbers(zhang, clerk_a, client_of):
    response = client_of(clerk_a).get(
        "/people/pick/", {"field": "owner-0-person", "owner-0-person__find": "zs"}
    )
    page = response.content.decode()
    assert 'name="owner-0-person"' in page
    assert f'value="{zhang.pk}" selected' in page
    assert PHONE not in page and PHONE_MASKED not in page


# ---------------------------------------------------------------------------------------------
# Move-in, transfer, tenants (R-CUS-03)


def test_r_cus_03_a_move_in_on_the_page_registers_the_owner_and_occupies_the_unit(
    vacant_units, li, clerk_a, client_of
):
    unit = vacant_units[1]
    data = _move_in_data(**{"owner-1-person": str(li.pk)})
    response = client_of(clerk_a).post(f"/people/units/{unit.pk}/move-in/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/estate/units/{unit.pk}/"
    unit.refresh_from_db()
    assert unit.state == Unit.State.OCCUPIED
    owners = {o.person.name: o.share for o in Ownership.objects.filter(unit=unit)}
    assert owners == {"王小明": Decimal("50.00"), "李四": Decimal("50.00")}
    move_in = MoveIn.objects.get(unit=unit)
    assert (move_in.checklist, move_in.keys_handed) == (["keys", "access_card"], 2)
    wang = Person.objects.get(name="王小明")
    assert wang.name_pinyin == "wangxiaoming wxm"


def test_r_cus_03_a_move_in_with_a_bad_id_number_gets_400_and_writes_nothing(
    vacant_units, clerk_a, client_of
):
    unit = vacant_units[1]
    data = _move_in_data(**{"owner-0-id_number": "110101199003071230"})
    response = client_of(clerk_a).post(f"/people/units/{unit.pk}/move-in/", data)
    assert response.status_code == 400
    assert "id_number" in response.context["rows"][0].errors
    assert not Person.objects.exists()
    assert not MoveIn.objects.exists()
    unit.refresh_from_db()
    assert unit.state == Unit.State.VACANT


def test_r_cus_03_shares_that_do_not_add_up_leave_no_new_person_behind(
    vacant_units, clerk_a, client_of
):
    unit = vacant_units[1]
    data = _move_in_data(
        **{
            "owner-0-share": "30",
            "owner-1-name": "王大明",
            "owner-1-phone": "13700002222",
            "owner-1-share": "30",
        }
    )
    response = client_of(clerk_a).post(f"/people/units/{unit.pk}/move-in/", data)
    assert response.status_code == 400
    assert "100%" in " ".join(response.context["form"].non_field_errors())
    assert not Person.objects.exists()


def test_r_cus_03_a_transfer_on_a_unit_without_owner_gets_400_and_writes_nothing(
    vacant_units, clerk_a, client_of
):
    unit = vacant_units[2]
    data = {
        "transferred_on": "2025-03-01",
        "contract_number": "HT-001",
        "owner-0-name": "王小明",
        "owner-0-kind": "individual",
        "owner-0-phone": "13700001111",
    }
    response = client_of(clerk_a).post(f"/people/units/{unit.pk}/transfer/", data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not OwnershipTransfer.objects.exists()
    assert not Person.objects.exists()


def test_r_cus_03_a_transfer_keeps_the_old_owner_as_history_on_the_unit_page(
    owned_unit, li, clerk_a, client_of
):
    client = client_of(clerk_a)
    response = client.post(
        f"/people/units/{owned_unit.pk}/transfer/",
        {
            "transferred_on": "2025-06-30",
            "contract_number": "HT-2025-9",
            "owner-0-person": str(li.pk),
            "owner-0-kind": "individual",
        },
    )
    assert response.status_code == 302
    panel = client.get(
        f"/people/units/{owned_unit.pk}/occupants/", HTTP_HX_REQUEST="true"
    ).content.decode()
    now, before = panel.split('class="before"')
    assert "李四" in now and "张三" not in now
    assert "张三" in before and "2025-06-30" in before and "HT-2025-9" in before
    assert f"/people/units/{owned_unit.pk}/move-in/" not in panel
    assert f"/people/units/{owned_unit.pk}/transfer/" in panel


def test_a_lease_ending_before_it_starts_gets_400_and_writes_nothing(
    vacant_units, clerk_a, client_of
):
    unit = vacant_units[3]
    response = client_of(clerk_a).post(
        f"/people/units/{unit.pk}/tenant/",
        {
            "lease_start": "2025-03-01",
            "lease_end": "2025-02-01",
            "tenant-0-name": "孙七",
            "tenant-0-kind": "individual",
            "tenant-0-phone": "13600003333",
        },
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["lease_end"]] == [
        "before_start"
    ]
    assert not Tenancy.objects.exists()
    assert not Person.objects.exists()


def test_a_register_entry_form_reports_every_bad_field_at_once(
    owned_unit, zhang, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        "/people/registers/vehicles/new/",
        {
            "person": str(zhang.pk),
            "unit": "1栋0801",
            "plate": "ABC",
            "space_term_start": "2025-01-01",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]] for field in errors} == {
        "plate": ["bad_plate"],
        "parking_space": ["required"],
    }
    assert not Vehicle.objects.exists()


def test_a_tenant_moves_in_and_out_through_the_pages(vacant_units, li, clerk_a, client_of):
    unit = vacant_units[3]
    client = client_of(clerk_a)
    response = client.post(
        f"/people/units/{unit.pk}/tenant/",
        {
            "lease_start": "2025-03-01",
            "lease_end": "2026-02-28",
            "tenant-0-person": str(li.pk),
            "tenant-0-kind": "individual",
        },
    )
    assert response.status_code == 302
    tenancy = Tenancy.objects.get(unit=unit)
    unit.refresh_from_db()
    assert unit.state == Unit.State.OCCUPIED
    out = client.get(f"/people/tenancies/{tenancy.pk}/move-out/")
    assert out.status_code == 302
    response = client.post(
        f"/people/registers/tenants/{tenancy.pk}/end/",
        {"on": "2025-09-30", "next": f"/estate/units/{unit.pk}/"},
    )
    assert response["Location"] == f"/estate/units/{unit.pk}/"
    tenancy.refresh_from_db()
    assert tenancy.moved_out_on == datetime.date(2025, 9, 30)


# ---------------------------------------------------------------------------------------------
# Registers and verification (R-CUS-01, R-CUS-02)


def test_r_cus_01_a_dog_is_added_to_its_register_by_unit_code_and_ended(
    owned_unit, zhang, clerk_a, client_of
):
    client = client_of(clerk_a)
    response = client.post(
        "/people/registers/dogs/new/",
        {
            "keeper": str(zhang.pk),
            "unit": "1栋0801",
            "name": "旺财",
            "breed": "柯基",
            "vaccinated_on": "2025-01-10",
            "vaccination_expiry": "2026-01-10",
        },
    )
    assert response.status_code == 302
    dog = Pet.objects.get()
    assert (dog.unit, dog.keeper, dog.name) == (owned_unit, zhang, "旺财")
    listing = client.get("/people/registers/dogs/").content.decode()
    assert "旺财" in listing and "柯基" in listing
    bad = client.post(
        "/people/registers/dogs/new/",
        {"keeper": str(zhang.pk), "unit": "9-9999", "breed": "柯基"},
    )
    assert bad.status_code == 400
    assert "unit" in bad.context["form"].errors
    response = client.post(f"/people/registers/dogs/{dog.pk}/end/", {"on": "2025-08-01"})
    assert response.status_code == 302
    dog.refresh_from_db()
    assert dog.ended_on == datetime.date(2025, 8, 1)
    assert client.get("/people/registers/dogs/").context["rows"] == []
    ended = client.get("/people/registers/dogs/?ended=1").context["rows"]
    assert [row["entry"] for row in ended] == [dog]


def test_r_cus_02_a_clerk_marks_overdue_entries_verified_in_bulk(
    owned_unit, zhang, clerk_a, client_of
):
    client = client_of(clerk_a)
    overview = client.get("/people/verification/").context["overview"]
    owners = next(row for row in overview if row["register"].code == "owners")
    assert (owners["total"], owners["overdue"]) == (1, 1)
    ownership = Ownership.objects.get()
    response = client.post("/people/verification/owners/", {"ids": [str(ownership.pk)]})
    assert response.status_code == 302
    ownership.refresh_from_db()
    assert ownership.verified_by == clerk_a
    overview = client.get("/people/verification/").context["overview"]
    owners = next(row for row in overview if row["register"].code == "owners")
    assert owners["overdue"] == 0


def test_r_cus_02_expiring_and_expired_entries_are_listed_with_expired_in_red(
    owned_unit, zhang, clerk_a, client_of, today, days
):
    services.add_entry(
        register="dogs",
        site=owned_unit.site,
        actor=clerk_a,
        keeper=zhang,
        unit=owned_unit,
        breed="柴犬",
        vaccinated_on=today - days(365),
        vaccination_expiry=today - days(3),
    )
    page = client_of(clerk_a).get("/people/verification/")
    rows = page.context["expiring"]
    assert [(r["person"], r["expired"]) for r in rows] == [(zhang, True)]
    assert 'class="expired"' in page.content.decode()


def test_the_manager_changes_the_register_settings_and_a_bad_value_gets_400(
    site_a, manager, client_of
):
    client = client_of(manager)
    bad = client.post("/people/settings/", {"verification_months": 13, "expiry_warning_days": 30})
    assert bad.status_code == 400
    assert not RegisterSettings.objects.exists()
    response = client.post(
        "/people/settings/", {"verification_months": 3, "expiry_warning_days": 45}
    )
    assert response.status_code == 302
    settings = RegisterSettings.objects.get(site=site_a)
    assert (settings.verification_months, settings.expiry_warning_days) == (3, 45)


# ---------------------------------------------------------------------------------------------
# The confidentiality self-check (R-CUS-05)


def test_r_cus_05_the_privacy_report_lists_the_looks_of_the_quarter_and_exports_them(
    zhang, clerk_a, manager, client_of, today
):
    client_of(clerk_a).get(f"/people/{zhang.pk}/")
    client = client_of(manager)
    quarter = (today.month - 1) // 3 + 1
    response = client.get("/people/privacy/", {"year": today.year, "quarter": quarter})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert [(row["actor__username"], row["views"], row["people"]) for row in summary] == [
        ("clerk_a", 1, 1)
    ]
    export = client.get(
        "/people/privacy/", {"year": today.year, "quarter": quarter, "export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][2] == "clerk_a" and rows[1][3] == "张三"
    empty = client.get("/people/privacy/", {"year": today.year - 3, "quarter": 1})
    assert list(empty.context["summary"]) == []
    bad = client.get("/people/privacy/", {"year": "x", "quarter": 9})
    assert bad.status_code == 400


# ---------------------------------------------------------------------------------------------
# Exports (R-CUS-04: masked according to the user's role)


def _sheet_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.mark.parametrize("path", ["/people/?export=xlsx", "/people/registers/owners/?export=xlsx"])
def test_r_cus_04_exports_are_masked_for_the_cashier(owned_unit, zhang, cashier_a, client_of, path):
    pytest.importorskip("wuye.people.workbooks")
    text = _sheet_text(client_of(cashier_a).get(path))
    assert "张三" in text
    assert PHONE not in text
    assert PHONE_MASKED in text
    assert PersonalDataView.objects.count() == 0


def test_r_cus_04_the_clerk_exports_full_numbers(owned_unit, zhang, clerk_a, client_of):
    pytest.importorskip("wuye.people.workbooks")
    text = _sheet_text(client_of(clerk_a).get("/people/?export=xlsx"))
    assert PHONE in text
    assert PersonalDataView.objects.filter(actor=clerk_a, person=zhang).exists()


def test_a_guard_sees_no_occupants_on_the_unit_page(
    owned_unit, site_a, django_user_model, client_of
):
    from django.contrib.auth.models import Group

    from wuye.core.models import SiteMembership

    guard = django_user_model.objects.create_user(username="guard_a", password="x-Pass-123")
    guard.groups.add(Group.objects.get(name="guard"))
    SiteMembership.objects.create(user=guard, site=site_a, is_default=True)
    client = client_of(guard)
    panel = client.get(f"/people/units/{owned_unit.pk}/occupants/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert "张三" not in panel.content.decode()
    assert client.get(f"/people/units/{owned_unit.pk}/occupants/").status_code == 403
