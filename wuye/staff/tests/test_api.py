"""The staff API: scoping, writes through the services, and "who approves?"."""

from wuye.staff.models import AuthorityRule, Employee

A = AuthorityRule.Action
BASE = "/api/v1/staff"


def test_the_employee_list_is_paginated_and_filtered(staff_a, clerk_a, client_of):
    client = client_of(clerk_a)
    body = client.get(f"{BASE}/employees", {"q": "zs"}).json()
    assert body["count"] == 1 and body["items"][0]["name"] == "张三"
    assert body["items"][0]["superior_name"] == "陈主管"
    assert body["items"][0]["department_name"] == "客服部"
    assert client.get(f"{BASE}/employees").json()["count"] == 6


def test_cross_site_clerk_b_gets_404_on_site_a_employees_through_the_api(
    staff_a, clerk_b, client_of
):
    client = client_of(clerk_b)
    clerk = staff_a["clerk"]
    response = client.get(f"{BASE}/employees/{clerk.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"{BASE}/employees").json()["count"] == 0
    patch = client.patch(
        f"{BASE}/employees/{clerk.pk}", {"name": "改"}, content_type="application/json"
    )
    assert patch.status_code == 404
    who = client.get(f"{BASE}/authority/approver", {"employee": clerk.pk, "action": "refund"})
    assert who.status_code in (403, 404)  # a clerk sees no authority; nor site A's employees


def test_a_view_only_role_gets_403_on_create_through_the_api(
    staff_a, org, site_a, clerk_a, client_of
):
    response = client_of(clerk_a).post(
        f"{BASE}/employees",
        {"site": site_a.pk, "number": "A400", "name": "某", "post": org["guard"].pk},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_create_and_patch_an_employee(staff_a, org, site_a, manager, client_of):
    client = client_of(manager)
    response = client.post(
        f"{BASE}/employees",
        {
            "site": site_a.pk,
            "number": "A401",
            "name": "冯工",
            "post": org["technician"].pk,
            "superior": staff_a["head"].pk,
            "username": "fenggong",
            "password": "Sunny-Desk-2025",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "fenggong" and body["post_name"] == "维修技工"
    patched = client.patch(
        f"{BASE}/employees/{body['id']}",
        {"superior": None, "phone": "13600000000"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["superior"] is None and patched.json()["phone"] == "13600000000"
    duplicate = client.post(
        f"{BASE}/employees",
        {"site": site_a.pk, "number": "A401", "name": "重", "post": org["guard"].pk},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"][0] == {
        "field": "number",
        "message": "Employee number A401 is already used.",
        "code": "taken",
    }
    schema = client.post(
        f"{BASE}/employees", {"site": site_a.pk, "name": "缺号"}, content_type="application/json"
    )
    assert schema.status_code == 422


def test_an_employee_with_a_taken_number_and_a_bad_phone_reports_every_bad_field_at_once(
    staff_a, org, site_a, manager, client_of
):
    response = client_of(manager).post(
        f"{BASE}/employees",
        {
            "site": site_a.pk,
            "number": "A004",
            "name": " ",
            "post": org["guard"].pk,
            "phone": "1234",
            "username": "clerk_a_new",
            "password": "",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {(f["field"], f["code"]) for f in response.json()["fields"]} == {
        ("number", "taken"),
        ("name", "required"),
        ("phone", "bad_phone"),
        ("password", "required"),
    }
    assert Employee.objects.count() == 6
    assert not Employee.objects.filter(user__username="clerk_a_new").exists()


def test_a_superior_from_another_site_is_refused_through_the_api(
    staff_a, org, site_b, manager, client_of, make_employee
):
    head_b = make_employee(site_b, "B002", "周主任", org["centre_head"])
    response = client_of(manager).patch(
        f"{BASE}/employees/{staff_a['clerk'].pk}",
        {"superior": head_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["code"] == "other_site"


def test_departments_posts_and_rules(staff_a, manager, client_of):
    client = client_of(manager)
    assert len(client.get(f"{BASE}/departments").json()) == 7
    posts = client.get(f"{BASE}/posts").json()
    head = next(p for p in posts if p["code"] == "centre_head")
    assert head["role"] == "manager" and head["duties"]
    rules = client.get(f"{BASE}/authority/rules", {"action": "contract", "post": head["id"]}).json()
    assert [(r["min_amount"], r["max_amount"], r["site"]) for r in rules] == [
        ("500.00", "3000.00", None)
    ]


def test_adm_02_who_approves_through_the_api(staff_a, manager, client_of):
    client = client_of(manager)
    body = client.get(
        f"{BASE}/authority/approver",
        {"employee": staff_a["cashier"].pk, "action": "refund", "amount": "1500"},
    ).json()
    assert body["approver"] == staff_a["head"].pk and not body["goes_to_company"]
    assert [s["name"] for s in body["chain"]] == ["钱收费", "赵会计", "李主任"]
    assert body["chain"][1]["rule"]["max_amount"] == "500.00"
    beyond = client.get(
        f"{BASE}/authority/approver",
        {"employee": staff_a["cashier"].pk, "action": "refund", "amount": "99999"},
    ).json()
    assert beyond["approver"] is None and beyond["goes_to_company"]
    bad = client.get(
        f"{BASE}/authority/approver", {"employee": staff_a["cashier"].pk, "action": "x"}
    )
    assert bad.status_code == 422
    assert Employee.objects.count() == 6


def test_an_employee_with_nul_characters_gets_one_400_naming_each_field_never_a_500(
    staff_a, org, site_a, manager, client_of
):
    response = client_of(manager).post(
        f"{BASE}/employees",
        {
            "site": site_a.pk,
            "number": "A\u0000200",
            "name": "\u0000",
            "post": org["guard"].pk,
            "username": "new\u0000login",
            "password": "Sunny-Desk-2025",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {f["field"] for f in response.json()["fields"]} == {"number", "name", "username"}
    assert {f["code"] for f in response.json()["fields"] if f["field"] != "username"} == {
        "null_characters_not_allowed"
    }
    assert Employee.objects.count() == 6
