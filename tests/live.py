"""HTTP helpers for tests against pytest-django's `live_server`: one visitor, one cookie jar."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    """The final response, after any redirects were followed."""

    status: int
    path: str
    body: str
    headers: dict[str, str]


class Visitor:
    """A browser of its own: its own cookies (session, CSRF, messages), follows redirects,
    and posts forms with the CSRF token of the last page it read."""

    def __init__(self, base_url: str, *, timeout: float = 60):
        self.base_url = base_url
        self.timeout = timeout
        self.csrf_token = ""
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf_token, **data})
        return self._open(
            urllib.request.Request(self.base_url + path, data=body.encode(), method="POST")
        )

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                answer = Answer(
                    status=response.status,
                    path=urllib.parse.urlsplit(response.url).path,
                    body=response.read().decode(),
                    headers=dict(response.headers),
                )
        except urllib.error.HTTPError as error:
            with error:
                answer = Answer(
                    status=error.code,
                    path=urllib.parse.urlsplit(error.url).path,
                    body=error.read().decode(errors="replace"),
                    headers=dict(error.headers),
                )
        if match := CSRF.search(answer.body):
            self.csrf_token = match[1]
        return answer
