"""A person's certificate of attendance behind their secret link, /r/<token>/certificate.pdf:
only once they attended, never for a cancelled registration; otherwise "not found".
(koki.middleware.SecretLinkMiddleware keeps it out of caches and search engines.)"""

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registrations import certificates, selectors


@require_safe
@never_cache
def certificate_pdf(request, token: str) -> HttpResponse:
    registration = selectors.registration_get_by_token(token=token)
    if not certificates.has_certificate(registration):
        raise Http404
    filename = certificates.certificate_filename(
        registrations=[registration], language=registration.language
    )
    return HttpResponse(
        certificates.registration_certificate_pdf(registration=registration),
        content_type=certificates.CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
