import os

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("registrations.urls")),
    path("", include("events.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if os.environ.get("KOKI_BENCH_HELLO") == "1":
    # `make bench` only: the cheapest view through the full middleware stack, the ceiling
    # against which bench/run.py measures the real pages. Off unless the variable is set.
    def bench_hello(request):
        return HttpResponse("hello")

    urlpatterns += [path("bench/hello/", bench_hello, name="bench-hello")]
