"""The worker's pages, sized for a phone: my jobs, the pool, and one job from accepting it to
the resident's sign-off (R-REP-02)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from wuye.core.pages import site_page, submit_form
from wuye.core.permissions import ensure_can
from wuye.core.scoping import access_object

from . import forms, queries, services
from .models import WorkOrder
from .services import MaterialLine
from .views import caller_phone


def _worker(request):
    ensure_can(request.user, "servicedesk.view_workorder", request.site)
    return services.employee_of(request.user, request.site)


@site_page
def my_work(request):
    me = _worker(request)
    context = {
        "me": me,
        "orders": list(queries.my_work_orders(me)) if me else [],
        "pool": list(queries.pool(request.site, me)[:50]) if me else [],
    }
    return render(request, "servicedesk/work_list.html", context)


def _order(request, pk) -> WorkOrder:
    _worker(request)
    return access_object(
        WorkOrder.objects.select_related("ticket", "ticket__unit", "ticket__facility", "worker",
                                         "ticket__assignee"),
        request.user, pk, site=request.site,
    )  # fmt: skip


@site_page
def work_order(request, pk, failed=None):
    order = _order(request, pk)
    is_mine = order.worker is not None and order.worker.user_id == request.user.pk
    forms_ = {
        "finish": forms.FinishForm(prefix="finish", site=request.site),
        "sign_off": forms.SignOffForm(prefix="sign_off", initial={"signed_by": order.ticket.caller_name}),
    }  # fmt: skip
    if failed:
        forms_[failed[0]] = failed[1]
    context = {
        "order": order,
        "ticket": order.ticket,
        "is_mine": is_mine,
        "phone": caller_phone(request.user, order.ticket),
        "forms": forms_,
        "materials": order.materials.all(),
        "photos": order.ticket.attachments.all(),
    }
    return render(request, "servicedesk/work_order.html", context, status=400 if failed else 200)


STEPS = {
    "take": lambda r, o, d: services.take_work_order(work_order=o, actor=r.user),
    "accept": lambda r, o, d: services.accept_work_order(work_order=o, actor=r.user),
    "arrive": lambda r, o, d: services.record_arrival(work_order=o, actor=r.user),
    "finish": lambda r, o, d: services.finish_work_order(
        work_order=o, actor=r.user, work_done=d["work_done"], result=d["result"],
        materials=[MaterialLine(d["material_name"], d["material_quantity"], d["material_unit"])]
        if d.get("material_name") else [],
        files=d["files"], price_item=d.get("price_item"), quantity=d.get("quantity"),
    ),
    "sign_off": lambda r, o, d: services.sign_off_work_order(
        work_order=o, actor=r.user, signed_by=d["signed_by"], rating=d.get("rating"),
        comment=d["comment"],
    ),
}  # fmt: skip
STEP_FORMS = {"finish": forms.FinishForm, "sign_off": forms.SignOffForm}
DONE = {
    "take": _("The job is yours."),
    "accept": _("Accepted."),
    "arrive": _("Arrival recorded."),
    "finish": _("Job finished."),
    "sign_off": _("Signed off. Thank you."),
}


@require_POST
@site_page
def work_step(request, pk, step):
    order = _order(request, pk)
    if step not in STEPS:
        raise PermissionDenied(step)
    form_class = STEP_FORMS.get(step, forms.OptionalNoteForm)
    kwargs = {"site": request.site} if form_class is forms.FinishForm else {}
    form = form_class(
        request.POST, request.FILES, prefix=step if step in STEP_FORMS else None, **kwargs
    )
    if submit_form(form, lambda d: STEPS[step](request, order, d) or True) is not None:
        messages.success(request, str(DONE[step]))
        return redirect("servicedesk:work_order", order.pk)
    if step in STEP_FORMS:
        return work_order.__wrapped__(request, pk, failed=(step, form))
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("servicedesk:work_order", order.pk)
