from django import template

from wuye.core.audit import field_label, value_label
from wuye.core.money import format_yuan, format_yuan_precise

register = template.Library()


@register.simple_tag
def audit_field_label(entry, name):
    model = entry.content_type.model_class()
    return field_label(model, name) if model else name


@register.filter
def badge(value) -> str:
    """The css class of a state badge: the state's code."""
    return str(value or "")


@register.simple_tag
def audit_value(entry, name, value):
    return value_label(entry.content_type.model_class(), name, value)


@register.filter
def yuan(value, sign=True) -> str:
    """An amount as ¥1,234.50 (`core.money.format_yuan`); `|yuan:False` leaves out the ¥, for a
    column whose header names the yuan. A missing variable (the template engine's "") shows as
    no amount, like None."""
    return format_yuan(None if value == "" else value, sign=bool(sign))


@register.filter
def yuan_precise(value, sign=True) -> str:
    """An amount kept finer than the fen (a rate, a late fee as it accrues) to its places, with
    separators: ¥12,000.00, ¥2.8525 (`core.money.format_yuan_precise`); `:False` leaves out
    the ¥."""
    return format_yuan_precise(None if value == "" else value, sign=bool(sign))
