"""The staff pages: who may see and do what, at which site, and how many queries it costs."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wuye.core.models import SiteMembership
from wuye.core.spreadsheets import XLSX_TYPE
from wuye.staff.models import AuthorityRule, Employee

A = AuthorityRule.Action
User = get_user_model()


def test_the_employee_list_searches_by_name_pinyin_number_and_phone(staff_a, clerk_a, client_of):
    client = client_of(clerk_a)
    url = reverse("staff:employee_list")
    for q in ["张三", "zhangsan", "zs", "A004", "13800138000"]:
        page = client.get(url, {"q": q}).content.decode()
        assert ">张三</a>" in page and ">李主任</a>" not in page, q


def test_the_employee_list_filters_by_department_post_and_service(staff_a, org, clerk_a, client_of):
    staff_a["cashier"].is_active = False
    staff_a["cashier"].save()
    client = client_of(clerk_a)
    url = reverse("staff:employee_list")
    finance = org["cashier"].department_id
    assert "钱收费" not in client.get(url, {"department": finance}).content.decode()
    page = client.get(url, {"department": finance, "status": "left"}).content.decode()
    assert ">钱收费</a>" in page and ">赵会计</a>" not in page  # he shows only as superior
    page = client.get(url, {"post": org["centre_head"].pk, "status": ""}).content.decode()
    assert ">李主任</a>" in page and ">张三</a>" not in page


def test_the_employee_list_exports_xlsx(staff_a, clerk_a, client_of):
    response = client_of(clerk_a).get(reverse("staff:employee_list"), {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE


def test_the_employee_list_costs_the_same_queries_for_many_employees(
    staff_a, org, site_a, clerk_a, client_of, make_employee
):
    client = client_of(clerk_a)
    url = reverse("staff:employee_list")
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(20):
        make_employee(site_a, f"B{i:03d}", f"员工{i}", org["guard"], staff_a["cs_sup"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 12


def test_cross_site_clerk_b_gets_404_on_site_a_employees(staff_a, clerk_b, client_of):
    client = client_of(clerk_b)
    clerk = staff_a["clerk"]
    assert client.get(reverse("staff:employee_detail", args=[clerk.pk])).status_code == 404
    assert client.get(reverse("staff:employee_edit", args=[clerk.pk])).status_code == 404
    assert "张三" not in client.get(reverse("staff:employee_list")).content.decode()


def test_a_view_only_role_gets_403_on_create(staff_a, clerk_a, client_of):
    client = client_of(clerk_a)
    assert client.get(reverse("staff:employee_create")).status_code == 403
    response = client.post(
        reverse("staff:employee_create"),
        {"number": "A200", "name": "某", "post": staff_a["clerk"].post_id},
    )
    assert response.status_code == 403
    assert not Employee.objects.filter(number="A200").exists()
    assert client.get(reverse("staff:authority_rule")).status_code == 403


def test_a_guard_without_staff_rights_gets_403_on_the_list(site_a, django_user_model, client_of):
    from conftest import make_staff_user

    guard = make_staff_user(django_user_model, "guard_a", sites=[site_a], role="guard")
    assert client_of(guard).get(reverse("staff:employee_list")).status_code == 403


def test_a_manager_takes_on_an_employee_with_a_login_through_the_page(
    staff_a, org, site_a, manager, client_of
):
    client = client_of(manager)
    response = client.post(
        reverse("staff:employee_create"),
        {
            "number": "A300",
            "name": "郑新人",
            "post": org["guard"].pk,
            "phone": "13700000000",
            "hired_on": "2025-03-01",
            "username": "zhengxin",
            "password": "Sunny-Desk-2025",
        },
    )
    employee = Employee.objects.get(number="A300")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:employee_detail", args=[employee.pk])
    assert SiteMembership.objects.filter(user=employee.user, site=site_a).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "郑新人" in detail and "zhengxin" in detail


def test_the_form_shows_what_the_service_refused_beside_the_field(
    staff_a, manager, client_of, settings
):
    client = client_of(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    head = staff_a["head"]
    response = client.post(
        reverse("staff:employee_edit", args=[head.pk]),
        {
            "number": head.number,
            "name": head.name,
            "post": head.post_id,
            "superior": staff_a["clerk"].pk,
        },
    )
    assert response.status_code == 400
    assert "already reports" in response.content.decode()


def test_the_employee_form_reports_every_bad_field_at_once(staff_a, org, manager, client_of):
    response = client_of(manager).post(
        reverse("staff:employee_create"),
        {
            "number": "A004",
            "name": "郑新人",
            "post": org["guard"].pk,
            "phone": "1234",
            "username": "zhengxin",
            "password": "123",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert {field: [e.code for e in errors[field]][:1] for field in errors} == {
        "number": ["taken"],
        "phone": ["bad_phone"],
        "password": ["password_too_short"],
    }
    assert not Employee.objects.filter(name="郑新人").exists()
    assert not User.objects.filter(username="zhengxin").exists()


def test_ending_an_employment_through_the_page(staff_a, manager, client_of):
    client = client_of(manager)
    clerk = staff_a["clerk"]
    assert client.get(reverse("staff:employee_end", args=[clerk.pk])).status_code == 200
    response = client.post(
        reverse("staff:employee_end", args=[clerk.pk]), {"left_on": "2025-05-31"}
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active and clerk.left_on == datetime.date(2025, 5, 31)


def test_the_employee_page_shows_superior_subordinates_authority_and_history(
    staff_a, clerk_a, client_of
):
    page = client_of(clerk_a).get(reverse("staff:employee_detail", args=[staff_a["head"].pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "王经理" in html and "陈主管" in html and "赵会计" in html
    assert "¥500.00 – ¥3,000.00" in html
    assert 'id="audit-trail"' in html


def test_the_organisation_page_shows_departments_posts_and_people(staff_a, clerk_a, client_of):
    html = client_of(clerk_a).get(reverse("staff:organisation")).content.decode()
    for text in ["客服部", "客服主管", "张三", "秩序维护部", "行政文员"]:
        assert text in html


def test_adm_02_the_matrix_marks_site_overrides(staff_a, org, company, site_a, manager, client_of):
    AuthorityRule.objects.create(
        company=company,
        site=site_a,
        post=org["centre_head"],
        action=A.PAY_ADJUSTMENT,
        max_amount="300",
    )
    html = client_of(manager).get(reverse("staff:authority")).content.decode()
    assert "≤ ¥300.00" in html and "≤ ¥200.00" in html  # the override, the company rule behind
    assert 'class="badge warn"' in html


def test_adm_02_who_approves_answers_as_an_htmx_fragment(staff_a, manager, client_of):
    client = client_of(manager)
    params = {
        "employee": staff_a["head"].pk,
        "action": A.SICK_LEAVE,
        "days": "2",
        "include_self": "on",
    }
    fragment = client.get(reverse("staff:authority"), params, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<div id="approver-result"')
    assert "王经理" in html and "<table" not in html
    full = client.get(reverse("staff:authority"), params).content.decode()
    assert "<table" in full and "王经理" in full


def test_adm_02_a_manager_sets_a_site_override_through_the_page(
    staff_a, org, site_a, manager, client_of
):
    client = client_of(manager)
    url = reverse("staff:authority_rule")
    form = client.get(url, {"post": org["centre_head"].pk, "action": A.PAY_ADJUSTMENT})
    assert form.status_code == 200 and 'value="200.00"' in form.content.decode()
    response = client.post(
        url,
        {
            "post": org["centre_head"].pk,
            "action": A.PAY_ADJUSTMENT,
            "scope": "site",
            "max_amount": "300",
        },
    )
    assert response.status_code == 302
    rule = AuthorityRule.objects.get(site=site_a, post=org["centre_head"], action=A.PAY_ADJUSTMENT)
    bad = client.post(
        url,
        {
            "post": org["centre_head"].pk,
            "action": A.CONTRACT,
            "scope": "site",
            "min_amount": "9",
            "max_amount": "1",
        },
    )
    assert bad.status_code == 400
    # A manager may not choose the company scope: the choice isn't offered.
    company = client.post(
        url,
        {
            "post": org["centre_head"].pk,
            "action": A.PAY_ADJUSTMENT,
            "scope": "company",
            "max_amount": "1",
        },
    )
    assert company.status_code == 400
    removed = client.post(reverse("staff:authority_rule_remove", args=[rule.pk]))
    assert removed.status_code == 302
    assert not AuthorityRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("name", ["employee_list", "organisation", "authority"])
def test_pages_render_in_english_too(name, staff_a, manager, client_of, settings):
    client = client_of(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(reverse(f"staff:{name}")).status_code == 200


def test_a_link_from_an_employee_page_preselects_them_without_errors(staff_a, manager, client_of):
    response = client_of(manager).get(reverse("staff:authority"), {"employee": staff_a["head"].pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{staff_a["head"].pk}" selected>' in html
    assert 'role="alert"' not in html
