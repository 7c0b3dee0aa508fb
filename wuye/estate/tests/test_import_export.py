import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from wuye.core.models import AuditEntry, Job
from wuye.core.spreadsheets import build_workbook
from wuye.estate import services
from wuye.estate.models import Unit
from wuye.estate.unit_import import import_report, start_unit_import

HEADERS = ["楼栋", "单元", "楼层", "房号", "建筑面积", "套内面积", "用途", "状态", "收费系数"]
GOOD_ROWS = [
    ["1", "", 1, "0102", 89.5, 70, "住宅", "已入住", 1],
    ["1栋", "", 2, "0201", "128.60", "", "商铺", "空置", 1.2],
    ["1", "", 2, "0202", 92.3, "", "residence", "unsold", ""],
]


def xlsx(rows, headers=HEADERS) -> bytes:
    return build_workbook("units", headers, rows)


def run_import(site, actor, content: bytes, name="units.xlsx") -> Job:
    job = start_unit_import(site=site, actor=actor, upload=SimpleUploadedFile(name, content))
    job.refresh_from_db()
    return job


def test_a_good_file_creates_its_units_with_audit_rows(site_a, building_a, clerk_a):
    job = run_import(site_a, clerk_a, xlsx(GOOD_ROWS))
    assert job.state == Job.State.DONE
    assert job.result == {"created": 3, "updated": 0, "unchanged": 0}
    unit = Unit.objects.get(code="1-0201")
    assert (unit.floor, unit.floor_area, unit.use, unit.state, unit.fee_coefficient) == (
        2,
        Decimal("128.60"),
        "shop",
        "vacant",
        Decimal("1.200"),
    )
    assert Unit.objects.get(code="1-0102").indoor_area == Decimal("70.00")
    assert AuditEntry.objects.filter(action="create", actor=clerk_a).count() == 3
    assert AuditEntry.objects.filter(actor=clerk_a, object_repr="1-0102").exists()


def test_english_headers_are_read_like_chinese_ones(site_a, building_a, clerk_a):
    headers = ["Building", "Entrance", "Floor", "Unit number", "Floor area"]
    job = run_import(site_a, clerk_a, xlsx([["1", "", 3, "0301", 88]], headers))
    assert job.result["created"] == 1


def test_a_file_with_bad_rows_writes_nothing_and_reports_every_bad_row(site_a, building_a, clerk_a):
    rows = [
        GOOD_ROWS[0],
        ["9", "", 1, "0101", 80, "", "", "", ""],  # row 3: no building 9
        ["1", "", 1, "0103", -3, "", "住宅", "", ""],  # row 4: negative area
        ["1", "", 30, "3001", 80, "", "豪宅", "", ""],  # row 5: floor and use
        ["1", "", 1, "0102", 80, "", "", "", ""],  # row 6: repeats row 2
    ]
    job = run_import(site_a, clerk_a, xlsx(rows))
    assert job.state == Job.State.FAILED
    assert not Unit.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()
    found = [(e["row"], e["field"], e["code"]) for e in import_report(job)]
    assert found == [
        (3, "building", "unknown_building"),
        (4, "floor_area", "not_positive"),
        (5, "floor", "floor_out_of_range"),
        (5, "use", "invalid_choice"),
        (6, "number", "duplicate_in_file"),
    ]
    assert all(e["message"] for e in import_report(job))


def test_a_file_without_required_columns_is_refused_as_a_whole(site_a, building_a, clerk_a):
    job = run_import(site_a, clerk_a, xlsx([["1", 1]], ["楼栋", "楼层"]))
    assert job.state == Job.State.FAILED
    [error] = import_report(job)
    assert (error["row"], error["field"], error["code"]) == (None, "file", "missing_columns")
    assert "房号" in error["message"] and "建筑面积" in error["message"]


def test_reimporting_the_same_file_changes_nothing(site_a, building_a, clerk_a):
    content = xlsx(GOOD_ROWS)
    run_import(site_a, clerk_a, content)
    entries = AuditEntry.objects.count()
    again = run_import(site_a, clerk_a, content)
    assert again.result == {"created": 0, "updated": 0, "unchanged": 3}
    assert AuditEntry.objects.count() == entries


def test_an_import_updates_existing_units_and_records_what_changed(
    site_a, building_a, unit_a, clerk_a
):
    job = run_import(site_a, clerk_a, xlsx([["1", "", 1, "0101", 89.5, "", "", "已入住", ""]]))
    assert job.result == {"created": 0, "updated": 1, "unchanged": 0}
    unit_a.refresh_from_db()
    assert unit_a.state == "occupied"
    entry = AuditEntry.objects.get(action="update", object_id=str(unit_a.pk))
    assert entry.changes == {"state": ["unsold", "occupied"]}


def test_the_cashier_may_not_start_an_import(site_a, cashier_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(site_a, cashier_a, xlsx(GOOD_ROWS))


def test_the_unit_export_is_a_real_xlsx_that_imports_back_unchanged(
    site_a, building_a, clerk_a, client_of
):
    services.generate_units(
        building=building_a,
        actor=clerk_a,
        first_floor=1,
        last_floor=3,
        units_per_floor=2,
        floor_area=Decimal("89.50"),
        state=Unit.State.VACANT,
    )
    response = client_of(clerk_a).get("/estate/units/?export=xlsx&state=vacant")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 7
    assert rows[1][:5] == ("1-0101", "1", None, 1, "0101")
    again = run_import(site_a, clerk_a, response.content)
    assert again.result == {"created": 0, "updated": 0, "unchanged": 6}


def test_every_list_exports_to_xlsx(site_a, building_a, unit_a, clerk_a, client_of):
    services.create_parking_space(site=site_a, actor=clerk_a, code="B1-001", zone="地下一层")
    services.create_facility(site=site_a, actor=clerk_a, code="DT-1", name="1号电梯")
    client = client_of(clerk_a)
    for path, first_cell in [
        ("/estate/buildings/", "1"),
        ("/estate/parking/", "B1-001"),
        ("/estate/facilities/", "DT-1"),
    ]:
        response = client.get(path + "?export=xlsx")
        assert response.status_code == 200, path
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.cell(row=2, column=1).value == first_cell


def test_the_import_template_has_the_chinese_headers(clerk_a, client_of):
    response = client_of(clerk_a).get("/estate/units/import/template/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADERS


def test_the_import_command_prints_progress_and_the_counts(
    site_a, building_a, clerk_a, tmp_path, capsys
):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx(GOOD_ROWS))
    call_command("import_units", str(path), "--site", "a", "--user", "clerk_a")
    out = capsys.readouterr().out
    assert "3/3" in out
    assert "3 created, 0 updated, 0 unchanged" in out
    assert Unit.objects.count() == 3


def test_the_import_command_lists_bad_rows_and_fails(site_a, building_a, clerk_a, tmp_path, capsys):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx([["9", "", 1, "0101", 80, "", "", "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_units", str(path), "--site", "a", "--user", "clerk_a")
    assert "row 2" in capsys.readouterr().out
    assert not Unit.objects.exists()
