"""The organisation as reference data: departments, posts and the authority matrix.

Employees are operational, site-scoped records and are kept through the workbench, where the
services check the site and write the audit trail.
"""

from django.contrib import admin

from .models import AuthorityRule, Department, Post


class PostInline(admin.TabularInline):
    model = Post
    fields = ["code", "name", "superior", "role", "is_head"]
    extra = 0
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "company", "order"]
    list_filter = ["company", "kind"]
    ordering = ["company", "order"]
    inlines = [PostInline]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department", "superior", "role", "is_head"]
    list_filter = ["department__company", "department", "is_head"]
    search_fields = ["name", "code"]
    list_select_related = ["department", "superior", "role"]
    autocomplete_fields = ["superior"]


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(admin.ModelAdmin):
    list_display = ["post", "action", "site", "min_amount", "max_amount", "max_days", "note"]
    list_filter = ["company", "site", "action", "post__department"]
    search_fields = ["post__name", "note"]
    list_select_related = ["post", "site"]
    autocomplete_fields = ["post"]
