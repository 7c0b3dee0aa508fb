"""Who sees personal data, in one place (R-CUS-04, R-CUS-05).

Pages, exports and the API never read a person's numbers themselves: they ask `identities`
for the numbers of the people they show. A user whose role lacks `people.view_personal_data`
gets the masked forms stored beside the ciphertext (nothing is decrypted); a user whose role
has it gets the numbers decrypted, and each person shown is logged as one `PersonalDataView`
(who, whose, when, where) for the quarterly confidentiality self-check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wuye.core.crypto import decrypt
from wuye.staff.models import Employee

from .models import Person, PersonalDataView

PERMISSION = "people.view_personal_data"


@dataclass(frozen=True)
class Identity:
    id_number: str
    phone: str
    unmasked: bool


def can_see_personal_data(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def _department_id(user) -> int | None:
    cached = getattr(user, "_wuye_department_id", False)
    if cached is False:
        cached = (
            Employee.objects.filter(user=user).values_list("post__department_id", flat=True).first()
        )
        user._wuye_department_id = cached
    return cached


def identities(user, people: Iterable[Person], *, where: str) -> dict[int, Identity]:
    """The numbers `user` may see for each of `people`, by person id; unmasked views are
    logged in one insert. `where` names the page, export or endpoint."""
    people = [p for p in people if p is not None]
    if not can_see_personal_data(user):
        return {
            p.pk: Identity(id_number=p.id_number_masked, phone=p.phone_masked, unmasked=False)
            for p in people
        }
    shown = {
        p.pk: Identity(
            id_number=decrypt(p.id_number_cipher), phone=decrypt(p.phone_cipher), unmasked=True
        )
        for p in people
    }
    log_views(user, [p for p in people if p.id_number_cipher or p.phone_cipher], where=where)
    return shown


def identity(user, person: Person, *, where: str) -> Identity:
    return identities(user, [person], where=where)[person.pk]


def log_views(user, people: list[Person], *, where: str) -> int:
    if not people:
        return 0
    department_id = _department_id(user)
    PersonalDataView.objects.bulk_create(
        [
            PersonalDataView(
                site_id=p.site_id,
                actor=user,
                department_id=department_id,
                person=p,
                fields=",".join(
                    name
                    for name, cipher in (
                        ("id_number", p.id_number_cipher),
                        ("phone", p.phone_cipher),
                    )
                    if cipher
                ),
                where=where[:200],
            )
            for p in people
        ],
        batch_size=500,
    )
    return len(people)
