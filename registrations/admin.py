from django.contrib import admin

from registrations.models import Registration


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "email",
        "organisation",
        "room",
        "status",
        "created_at",
    ]
    list_filter = ["event", "status", "room"]
    list_select_related = ["room", "event"]
    search_fields = ["first_name", "last_name", "email", "organisation"]
    readonly_fields = [
        "token",
        "status",
        "consent_at",
        "privacy_notice_version",
        "email_confirmed_at",
        "expires_at",
        "waiting_since",
        "cancelled_at",
        "created_at",
        "updated_at",
    ]
