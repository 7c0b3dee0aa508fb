from django import template

from wuye.workbench.nav import navigation

register = template.Library()


@register.inclusion_tag("workbench/_nav.html", takes_context=True)
def side_navigation(context):
    request = context["request"]
    return {"groups": navigation(request.user, request.path)}
