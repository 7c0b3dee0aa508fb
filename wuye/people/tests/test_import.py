"""Importing owners and tenants from legacy .xlsx registers (docs/people.md, Import and export)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from wuye.core.models import AuditEntry
from wuye.core.spreadsheets import build_workbook
from wuye.estate.models import Unit
from wuye.people.models import HouseholdMember, Ownership, Person, Tenancy
from wuye.people.people_import import import_people, split_cell
from wuye.people.tests.conftest import make_id
from wuye.people.workbooks import PEOPLE_COLUMNS

HEADERS = [texts[0] for texts in PEOPLE_COLUMNS.values()]


def sheet(*rows):
    """A workbook with the template's headers; each row a dict of column → value."""
    return build_workbook("x", HEADERS, [[row.get(k, "") for k in PEOPLE_COLUMNS] for row in rows])


@pytest.fixture
def units(vacant_units):
    return vacant_units


def test_r_cus_01_owners_co_owners_tenants_and_household_are_imported(units, site_a, clerk_a):
    data = sheet(
        {"unit": "1-0801", "role": "业主", "name": "张三、李四",
         "id_number": f"{make_id()}、{make_id('19851120', '456')}",
         "phone": "13812345678/13998765432", "title_date": "2020-05-01"},
        {"unit": "1栋802", "role": "业主", "name": "王五", "phone": "13700001111", "share": 100},
        {"unit": "1-0802", "role": "租户", "name": "赵六", "phone": "13600002222",
         "lease_start": "2025-01-01", "lease_end": "2026-12-31"},
        {"unit": "1-0801", "role": "家庭成员", "name": "张小三", "relation": "子女"},
    )  # fmt: skip
    result = import_people(site=site_a, actor=clerk_a, data=data)
    assert result["people_created"] == 5
    assert (result["owners"], result["tenants"], result["household"]) == (3, 1, 1)
    shares = dict(Ownership.objects.filter(unit=units[0]).values_list("person__name", "share"))
    assert shares == {"张三": 50, "李四": 50}
    assert Ownership.objects.get(person__name="张三").title_date == datetime.date(2020, 5, 1)
    assert Tenancy.objects.get().lease_end == datetime.date(2026, 12, 31)
    assert HouseholdMember.objects.get().relation == "child"
    assert set(
        Unit.objects.filter(pk__in=[units[0].pk, units[1].pk]).values_list("state", flat=True)
    ) == {"occupied"}
    zhang = Person.objects.get(name="张三")
    assert zhang.phone_masked == "138****5678" and zhang.birth_date == datetime.date(1990, 3, 7)


def test_re_importing_the_same_file_changes_nothing(units, site_a, clerk_a):
    data = sheet(
        {"unit": "1-0801", "name": "张三", "id_number": make_id(), "phone": "13812345678"},
        {"unit": "1-0802", "name": "钱七"},
        {"unit": "1-0803", "role": "租户", "name": "孙八", "phone": "13600003333",
         "lease_start": "2025-01-01", "lease_end": "2026-01-01"},
    )  # fmt: skip
    import_people(site=site_a, actor=clerk_a, data=data)
    counts = (Person.objects.count(), Ownership.objects.count(), Tenancy.objects.count())
    audit = AuditEntry.objects.count()
    again = import_people(site=site_a, actor=clerk_a, data=data)
    assert (again["people_created"], again["owners"], again["tenants"]) == (0, 0, 0)
    assert again["unchanged"] == 3
    assert (Person.objects.count(), Ownership.objects.count(), Tenancy.objects.count()) == counts
    assert AuditEntry.objects.count() == audit


def test_people_already_registered_are_reused(units, zhang, site_a, clerk_a):
    data = sheet({"unit": "1-0801", "name": "张三", "id_number": make_id()})
    result = import_people(site=site_a, actor=clerk_a, data=data)
    assert (result["people_created"], result["people_reused"]) == (0, 1)
    assert Ownership.objects.get().person == zhang


def test_placeholders_are_kept_but_flagged_to_clean(units, site_a, clerk_a):
    data = sheet(
        {"unit": "1-0801", "name": "周九", "id_number": "111111111111111111", "phone": "18999999999"},
        {"unit": "1-0802", "name": "吴十", "id_number": "111111111111111111", "phone": "18999999999"},
    )  # fmt: skip
    result = import_people(site=site_a, actor=clerk_a, data=data)
    assert result["to_clean"] == 2
    people = Person.objects.order_by("name")
    assert [p.to_clean for p in people] == [True, True]
    assert all(p.id_number_hash == "" and p.phone_hash == "" for p in people)
    assert "placeholder" in people[0].clean_notes or "占位" in people[0].clean_notes


def test_a_bad_file_writes_nothing_and_reports_every_bad_row(units, site_a, clerk_a):
    wrong = make_id()[:-1] + ("0" if make_id()[-1] != "0" else "1")
    data = sheet(
        {"unit": "1-0801", "name": "张三", "phone": "13812345678"},
        {"unit": "9-9999", "name": "李四"},
        {"unit": "1-0802", "name": "王五", "id_number": wrong},
        {"unit": "1-0803", "role": "租户", "name": "赵六", "lease_start": "2025-06-01", "lease_end": "2025-01-01"},
        {"unit": "1-0804", "name": "钱七", "phone": "12345"},
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        import_people(site=site_a, actor=clerk_a, data=data)
    keys = sorted(caught.value.error_dict)
    assert keys == ["rows.3.unit", "rows.4.id_number", "rows.5.lease_end", "rows.6.phone"]
    assert not Person.objects.exists() and not Ownership.objects.exists()


def test_a_unit_with_other_owners_is_refused(units, zhang, li, site_a, clerk_a):
    from wuye.people import lifecycle

    lifecycle.register_move_in(
        unit=units[0], actor=clerk_a, moved_in_on=datetime.date(2024, 1, 1),
        owners=[lifecycle.NewOwner(zhang)],
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        import_people(site=site_a, actor=clerk_a, data=sheet({"unit": "1-0801", "name": "李四"}))
    assert "rows.2.unit" in caught.value.error_dict


def test_the_cashier_may_not_import(units, site_a, cashier_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_people(site=site_a, actor=cashier_a, data=sheet({"unit": "1-0801", "name": "张三"}))


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("张三、李四", ["张三", "李四"]),
        ("张三/李四", ["张三", "李四"]),
        ("张三,李四", ["张三", "李四"]),
        ("张三 李四", ["张三", "李四"]),
        ("John Smith", ["John Smith"]),
    ],
)
def test_several_owners_in_one_cell_are_split(cell, names):
    assert split_cell(cell) == names


def test_the_import_page_runs_the_job_and_shows_the_counts(units, clerk_a, client_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_of(clerk_a)
    assert client.get("/people/import/").status_code == 200
    template = client.get("/people/import/template/")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    upload = SimpleUploadedFile(
        "owners.xlsx", sheet({"unit": "1-0801", "name": "张三", "phone": "13812345678"})
    )
    response = client.post("/people/import/", {"file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert Ownership.objects.get().person.name == "张三"


def test_a_failed_import_page_lists_the_bad_rows(units, clerk_a, client_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_of(clerk_a)
    upload = SimpleUploadedFile("bad.xlsx", sheet({"unit": "9-9999", "name": "张三"}))
    response = client.post("/people/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "There is no unit 9-9999 on this site." in page.content.decode()
    assert not Person.objects.exists()


def test_a_mobile_block_decides_validity_as_phonenumbers_does():
    """The import's fast path checks a mobile by its first five digits; this holds only while
    phonenumbers' metadata makes validity a property of the block, so prove it for all."""
    import random

    import phonenumbers

    from wuye.core.identity import normalize_cn_mobile

    rng = random.Random(7)
    for block in range(13000, 20000):
        number = f"{block}{rng.randrange(10**6):06d}"
        slow = phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))
        assert (normalize_cn_mobile(number) == number) == slow, number
