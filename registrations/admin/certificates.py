"""The organisers' certificates of attendance: an admin action for the registrations list (and a
registration's page) that downloads one PDF with a page per selected person who attended.

Not registered here: RegistrationAdmin lists it among its actions.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registrations import certificates


@admin.action(
    description=_("Download the certificate of attendance (PDF)"),
    description_plural=_("Download certificates of attendance (PDF, for those who attended)"),
    permissions=["view"],
    location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
)
def download_certificates(modeladmin, request, queryset):
    """One PDF, a page per selected registration that attended (each in the person's language);
    the others are skipped. None attended: a warning and back to the list."""
    selected = list(certificates.certificate_queryset(queryset))
    if not selected:
        modeladmin.message_user(
            request,
            gettext("None of the selected people attended: there is no certificate to download."),
            messages.WARNING,
        )
        return None
    filename = certificates.certificate_filename(
        registrations=selected, language=translation.get_language()
    )
    return HttpResponse(
        certificates.certificate_pdf(registrations=selected),
        content_type=certificates.CONTENT_TYPE,
        headers={
            "Content-Disposition": content_disposition_header(True, filename),
            "Cache-Control": "no-store",
        },
    )
