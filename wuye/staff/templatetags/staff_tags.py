from django import template

from ..authority import describe_limit

register = template.Library()


@register.filter
def authority_limit(rule) -> str:
    """A rule's limit in words: "≤ ¥200.00", "≤ 1 day", "no limit"."""
    return describe_limit(rule) if rule is not None else ""


@register.filter
def role_label(group) -> str:
    """A role group by its label in the reader's language, not its code."""
    from ..roles import role_label as label

    return label(group.name) if group is not None else ""
