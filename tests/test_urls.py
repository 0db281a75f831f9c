"""The bench's hello view (bench/run.py measures the ceiling with it) exists only on request."""

import importlib.util
import sys

import pytest
from django.urls import NoReverseMatch, reverse


def _fresh_urlconf(name: str) -> str:
    """Execute koki/urls.py again under another module name, with the current settings."""
    spec = importlib.util.find_spec("koki.urls")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return name


@pytest.fixture
def urlconf_module():
    name = "tests._urls_under_test"
    yield name
    sys.modules.pop(name, None)


def test_bench_hello_is_absent_by_default(client, settings, urlconf_module):
    settings.KOKI_BENCH_HELLO = False
    settings.ROOT_URLCONF = _fresh_urlconf(urlconf_module)

    with pytest.raises(NoReverseMatch):
        reverse("bench-hello")
    assert client.get("/bench/hello/").status_code == 404


@pytest.mark.django_db
def test_bench_hello_answers_when_enabled(client, settings, urlconf_module):
    settings.KOKI_BENCH_HELLO = True
    settings.ROOT_URLCONF = _fresh_urlconf(urlconf_module)

    response = client.get("/bench/hello/")

    assert reverse("bench-hello") == "/bench/hello/"
    assert response.status_code == 200
    assert response.content == b"hello"
