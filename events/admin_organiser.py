"""The organisers in the admin: name, contact and mail sender, legal notice, privacy notice and
accessibility statement, their texts in German and English (django-modeltranslation)."""

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from events.models import Organiser
from registrations.permissions import events_for


@admin.register(Organiser)
class OrganiserAdmin(TranslationAdmin):
    list_display = ["name", "contact_email", "is_site_operator", "privacy_notice_version"]
    search_fields = ["name", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["pages"]

    def has_delete_permission(self, request, obj=None):
        """Only superusers delete organisers: several teams' events may share one."""
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        """A team sees the organisers of its events and those without an event yet (a change
        shows on every event of the organiser); superusers see all."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            Q(events__in=events_for(request.user)) | Q(events__isnull=True)
        ).distinct()

    fieldsets = [
        (
            None,
            {"fields": ["name", "slug", "website", "contact_email", "phone", "is_site_operator"]},
        ),
        (
            _("Legal notice (Impressum)"),
            {
                "fields": [
                    "postal_address",
                    "represented_by",
                    "register_entry",
                    "vat_id",
                    "content_responsible",
                    "imprint_extra",
                ]
            },
        ),
        (
            _("Privacy notice"),
            {
                "fields": [
                    "privacy_contact",
                    "privacy_notice",
                    "privacy_notice_version",
                    "privacy_notice_date",
                ]
            },
        ),
        (
            _("Accessibility statement"),
            {
                "fields": [
                    "accessibility_status",
                    "accessibility_limitations",
                    "accessibility_date",
                    "accessibility_email",
                    "accessibility_phone",
                    "enforcement_body",
                    "enforcement_url",
                ]
            },
        ),
        (_("Pages"), {"fields": ["pages"]}),
    ]

    @admin.display(description=_("Public pages"))
    def pages(self, obj) -> str:
        if not obj or not obj.pk:
            return _("Shown once the organiser is saved.")
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("events:imprint", kwargs={"organiser": obj.slug}),
            _("Legal notice"),
            reverse("events:privacy_notice", kwargs={"organiser": obj.slug}),
            _("Privacy notice"),
            reverse("events:accessibility", kwargs={"organiser": obj.slug}),
            _("Accessibility statement"),
        )
