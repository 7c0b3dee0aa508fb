"""Give every ticket with a phone its keyed phone hash, then count each complaint event's people
again by who they are (R-CMP-07) instead of by the masked phone.

The hash is the one the registers use (`wuye.core.crypto.blind_index` of kind "phone" over the
normalised number), computed from the ticket's own ciphertext; the kernel's crypto functions
are the one way to read it, so this migration calls them.
"""

from django.db import migrations
from django.db.models import Count


def backfill(apps, schema_editor):
    from wuye.core.crypto import KeyMismatch, blind_index, decrypt

    Ticket = apps.get_model("servicedesk", "Ticket")
    ComplaintEvent = apps.get_model("servicedesk", "ComplaintEvent")
    pending = Ticket.objects.filter(caller_phone_hash="").exclude(caller_phone_cipher="")
    batch = []
    for ticket in pending.only("pk", "caller_phone_cipher").iterator(chunk_size=2000):
        try:
            number = decrypt(ticket.caller_phone_cipher)
        except KeyMismatch:
            continue
        ticket.caller_phone_hash = blind_index("phone", number)
        batch.append(ticket)
        if len(batch) >= 2000:
            Ticket.objects.bulk_update(batch, ["caller_phone_hash"])
            batch = []
    Ticket.objects.bulk_update(batch, ["caller_phone_hash"])

    shared = (
        Ticket.objects.filter(event__isnull=False)
        .values("event_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("event_id", flat=True)
    )
    for event in ComplaintEvent.objects.filter(pk__in=list(shared)):
        callers = Ticket.objects.filter(event=event).values_list(
            "pk", "person_id", "caller_phone_hash"
        )
        event.people_count = _count_people(callers)
        event.save(update_fields=["people_count"])


def _count_people(callers) -> int:
    # The rule as `servicedesk.complaints.count_people` states it, frozen here so that this
    # migration does not change when that code does.
    parent: dict = {}

    def root(key):
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for ticket_id, person_id, phone_key in callers:
        keys = [k for k in (("person", person_id), ("phone", phone_key)) if k[1]]
        keys = keys or [("contact", ticket_id)]
        first = root(keys[0])
        for key in keys[1:]:
            parent[root(key)] = first
    return len({root(key) for key in parent})


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0002_ticket_caller_phone_hash")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
