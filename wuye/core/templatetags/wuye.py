from django import template

from wuye.core.audit import field_label, value_label

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
