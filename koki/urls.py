from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from koki import health, views
from koki.api import api
from koki.ratelimit import ratelimit

# Without a language in the address: the language switch, health check, admin and API.
urlpatterns = [
    path("language/<str:code>/", views.switch_language, name="switch_language"),
    path("healthz", health.healthz, name="healthz"),
    # The admin's own login view, with a rate limit on attempts (before admin.site.urls).
    path("admin/login/", ratelimit("login")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),  # the read-only JSON API (koki/api.py)
]
# Every page a visitor or attendee sees, with its files and personal links: German at /…,
# English at /en/… (koki/middleware.py decides the language; docs/configuration.md).
urlpatterns += i18n_patterns(
    path("", include("registrations.urls")),
    path("", include("events.urls")),
    prefix_default_language=False,
)

# Error pages that render without the database (koki/views.py).
handler400 = "koki.views.bad_request"
handler403 = "koki.views.permission_denied"
handler404 = "koki.views.page_not_found"
handler500 = "koki.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.KOKI_BENCH_HELLO:
    # `make bench` only: the cheapest view through the full middleware stack, the ceiling
    # against which bench/run.py measures the real pages. Off unless the setting is on.
    def bench_hello(request):
        return HttpResponse("hello")

    urlpatterns += [path("bench/hello/", bench_hello, name="bench-hello")]
