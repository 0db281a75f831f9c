"""Messages to attendees in the admin: write a draft, check recipients and preview, send.

A sent message cannot change any more: its page shows what went to whom.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from events.admin import SingleEventInitialMixin, plain_related_widget
from registrations import mailings
from registrations.admin.common import OrganisersOnlyMixin, is_id
from registrations.admin.forms import MailingForm
from registrations.models import Mailing, MailingRecipient
from registrations.permissions import is_moderator


class MailingRecipientInline(admin.TabularInline):
    model = MailingRecipient
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["name", "email", "room", "sent_at", "error", "attempts"]
    readonly_fields = fields
    verbose_name_plural = _("sent to")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registration__room")

    @admin.display(description=_("name"))
    def name(self, obj):
        return obj.registration.full_name

    @admin.display(description=_("e-mail address"))
    def email(self, obj):
        return obj.registration.email

    @admin.display(description=_("room"))
    def room(self, obj):
        return str(obj.registration.room)

    def has_add_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if is_moderator(request.user):  # moderators do not see the addresses
            return [name for name in self.fields if name != "email"]
        return self.fields


@admin.register(Mailing)
class MailingAdmin(SingleEventInitialMixin, OrganisersOnlyMixin, admin.ModelAdmin):
    room_lookup = "room"  # moderators write to their rooms' attendees
    moderator_permissions = frozenset({"view", "add", "change", "delete"})
    form = MailingForm
    list_display = ["subject", "event", "room", "audience", "queued_at", "delivered", "created_by"]
    list_filter = ["event"]
    list_select_related = ["event", "room", "created_by"]
    search_fields = ["subject", "body"]
    fields = ["event", "room", "audience", "subject", "body", "recipients_info", "preview"]
    readonly_fields = ["recipients_info", "preview"]
    change_form_template = "admin/registrations/mailing/change_form.html"

    def get_queryset(self, request):
        return mailings.mailing_counts(super().get_queryset(request))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Event and room are chosen here, not edited: no add/change/delete icons beside them.
        return plain_related_widget(super().formfield_for_dbfield(db_field, request, **kwargs))

    sent_fields = [
        "event",
        "room",
        "audience",
        "subject",
        "body",
        "queued_at",
        "created_by",
        "recipients_info",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["event", "room", "audience", "subject", "body"]
        if obj.is_sent:
            return self.sent_fields
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_sent:
            return self.sent_fields
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A sent message cannot change any more: its page only shows what went to whom.
        if obj is not None and obj.is_sent:
            return False
        return super().has_change_permission(request, obj)

    def get_inlines(self, request, obj):
        return [MailingRecipientInline] if obj is not None and obj.is_sent else []

    def has_delete_permission(self, request, obj=None):
        # A sent message is the record of what went to whom.
        if obj is not None and obj.is_sent:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("delivered"))
    def delivered(self, obj):
        if not obj.is_sent:
            return gettext("draft")
        text = gettext("%(sent)d of %(total)d") % {
            "sent": obj.recipients_sent,
            "total": obj.recipients_total,
        }
        if obj.recipients_failed:
            text += " " + gettext("(%(failed)d failed)") % {"failed": obj.recipients_failed}
        return text

    @admin.display(description=_("who receives it"))
    def recipients_info(self, obj):
        if obj.is_sent:
            return self.delivered(obj)
        count = mailings.mailing_audience(mailing=obj).count()
        return ngettext(
            "%(count)d person would receive this message now.",
            "%(count)d people would receive this message now.",
            count,
        ) % {"count": count}

    @admin.display(description=_("preview (first recipient)"))
    def preview(self, obj):
        first = mailings.mailing_audience(mailing=obj).select_related("event", "room").first()
        if first is None:
            return "–"
        content = mailings.mailing_render(mailing=obj, registration=first)
        # The recipient's personal link is theirs alone: the preview shows it without its key.
        text = content["text"].replace(first.token, "…")
        return format_html('<div class="koki-preview">{}</div>', text)

    # A draft is saved as a draft ("Save as draft"), and the page stays open to check and send.
    DRAFT_BUTTONS = {"show_save_and_add_another": False, "show_save_and_continue": False}

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self.DRAFT_BUTTONS}
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mailing = None
        if is_id(object_id):
            mailing = self.get_queryset(request).filter(pk=object_id, queued_at__isnull=True)
            mailing = mailing.first()
        if mailing is not None:
            extra_context = {
                **(extra_context or {}),
                **self.DRAFT_BUTTONS,
                "audience_count": mailings.mailing_audience(mailing=mailing).count(),
                "test_address": request.user.email,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            gettext("Saved as a draft. Check the recipients and the preview, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:registrations_mailing_change", args=[obj.pk]))

    def response_change(self, request, obj):
        self.message_user(
            request,
            gettext("Draft saved. Check the recipients and the preview, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:registrations_mailing_change", args=[obj.pk]))

    def get_urls(self):
        return [
            path(
                "<int:mailing_id>/send/",
                self.admin_site.admin_view(require_POST(self.send_view)),
                name="registrations_mailing_send",
            ),
            path(
                "<int:mailing_id>/test/",
                self.admin_site.admin_view(require_POST(self.test_view)),
                name="registrations_mailing_test",
            ),
            path(
                "<int:mailing_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="registrations_mailing_retry",
            ),
            *super().get_urls(),
        ]

    def _get_for_change(self, request, mailing_id) -> Mailing:
        if not self.has_change_permission(request):
            raise PermissionDenied
        mailing = get_object_or_404(
            self.get_queryset(request).select_related("event"), pk=mailing_id
        )
        if not self.has_change_permission(request, mailing):
            raise PermissionDenied
        return mailing

    def send_view(self, request, mailing_id):
        mailing = self._get_for_change(request, mailing_id)
        try:
            count = mailings.mailing_send(mailing=mailing)
        except mailings.MailingError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.log_change(
                request,
                mailing,
                ngettext("Sent to %(count)d person.", "Sent to %(count)d people.", count)
                % {"count": count},
            )
            self.message_user(
                request,
                ngettext(
                    "The message is on its way to %(count)d person.",
                    "The message is on its way to %(count)d people.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:registrations_mailing_change", args=[mailing.pk])
        )

    def test_view(self, request, mailing_id):
        """The draft once to the organiser's own address, marked as a test; nothing recorded."""
        mailing = self._get_for_change(request, mailing_id)
        address = request.user.email
        if not address:
            self.message_user(
                request,
                gettext(
                    "Your account has no e-mail address for the test. "
                    "An administrator can add one to your account."
                ),
                messages.ERROR,
            )
        else:
            try:
                mailings.mailing_send_test(mailing=mailing, to=address)
            except mailings.MailingError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext(
                        "A test is on its way to %(address)s. Nobody else received it; the "
                        "message is still a draft."
                    )
                    % {"address": address},
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(
            reverse("admin:registrations_mailing_change", args=[mailing.pk])
        )

    def retry_view(self, request, mailing_id):
        mailing = get_object_or_404(self.get_queryset(request), pk=mailing_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        count = mailings.mailing_retry_failed(mailing=mailing)
        message = gettext("Failed mails queued again: %(count)d.") % {"count": count}
        self.log_change(request, mailing, message)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:registrations_mailing_change", args=[mailing.pk])
        )
