"""The approvals inbox (R-ADM-02): what waits at the site — or, for a decider, what waits for
them — with a decision form on each; and the last decided."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.core.money import format_yuan
from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object

from . import queries, services
from .forms import DecisionForm
from .models import ApprovalRequest


def _inbox(request, failed: DecisionForm | None = None, status: int = 200):
    site = request.site
    for_me = request.GET.get("for_me") == "1"
    waiting = list(queries.to_decide(request.user, site) if for_me else queries.pending(site))
    decided = list(queries.decided(site))
    queries.describe(site, waiting + decided)
    for found in waiting:
        prefix = f"decide-{found.pk}"
        found.form = failed if failed is not None and failed.prefix == prefix else DecisionForm(prefix=prefix)  # fmt: skip
        found.mine = found.requested_by_id == request.user.pk
    context = {"waiting": waiting, "decided": decided, "for_me": for_me}
    return render(request, "approvals/inbox.html", context, status=status)


@site_page
def inbox(request):
    ensure_can(request.user, services.VIEW, request.site)
    return _inbox(request)


@site_page
@require_POST
def decide(request, pk):
    ensure_can(request.user, services.DECIDE, request.site)
    found = access_object(ApprovalRequest, request.user, pk, site=request.site)
    form = DecisionForm(request.POST, prefix=f"decide-{found.pk}")
    try:
        decided = submit_form(form, lambda d: services.decide(
            request=found, actor=request.user, approve=d["decision"] == "approve", note=d["note"]))  # fmt: skip
    except PermissionDenied as exc:  # beyond the decider's authority, or their own request
        messages.error(request, str(exc))
        return _inbox(request, form, status=403)
    if decided is None:
        return _inbox(request, form, status=400)
    text = (
        _("Approved and carried out: %(what)s of %(amount)s.")
        if decided.state == ApprovalRequest.State.APPROVED
        else _("Rejected: %(what)s of %(amount)s.")
    )
    messages.success(request, text % {"what": decided.get_action_display(), "amount": format_yuan(decided.amount)})  # fmt: skip
    return _back_to_inbox(request)


def _back_to_inbox(request):
    """The inbox again, on the tab the decision was made from."""
    tab = "?for_me=1" if request.GET.get("for_me") == "1" else ""
    return redirect(reverse("approvals:inbox") + tab)
