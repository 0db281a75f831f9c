import datetime as dt
import http.server
import re
import subprocess
import threading
import zlib

import pytest
from django.test.signals import template_rendered
from django.utils import timezone, translation

from events.exports import pdf
from events.models import AgendaItem
from events.selectors import programme_for
from tests.factories import (
    AgendaItemFactory,
    AgendaItemSpeakerFactory,
    EventFactory,
    OrganiserFactory,
    RoomFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db

# A 1×1 PNG; if it ever appears inside a PDF, something fetched it.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
assert zlib.crc32(PNG[12:29]) == int.from_bytes(PNG[29:33])


def pdf_text(content: bytes, tmp_path, *, layout: bool = False) -> str:
    path = tmp_path / "programme.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_tool(tool: str, content: bytes, tmp_path) -> str:
    path = tmp_path / "tool.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout


def squash(text: str) -> str:
    """pdftotext breaks lines inside table cells: compare with whitespace collapsed."""
    return " ".join(text.split())


def letters(text: str) -> str:
    """Without spaces and hyphens: pdftotext drops the hyphen where a line breaks after one."""
    return "".join(text.split()).replace("-", "")


def test_pdf_shows_every_title_speaker_and_room_in_german(client, demo_event, tmp_path, poppler):
    response = client.get("/events/koki-abschluss/programme.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="koki-abschluss-programm.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = squash(pdf_text(response.content, tmp_path))
    assert demo_event.title in text
    assert "16. März 2027, 10:00–12:45 Uhr (Europe/Berlin)" in text
    assert "Über die Veranstaltung" in text
    layout = pdf_text(response.content, tmp_path, layout=True)
    assert re.search(r"Zeit +Programmpunkt +Sprecher\*innen +Raum", layout)
    for item in demo_event.agenda_items.all():
        assert letters(item.title) in letters(text), item.title
    for name, role in [
        ("Henning Lühr", "Staatsrat für Finanzen, Personal und Digitalisierung"),
        ("Tobias Krafft", "Algorithm Accountability Lab, TU Kaiserslautern"),
        ("Christian Mainka", "City & Bits"),
        ("Dr. Anja C. Wagner", "FrolleinFlow"),
    ]:
        assert name in text
        assert role in text
    assert "Henning Lühr war von 2002 bis 2020 Staatsrat" in text
    for room in demo_event.rooms.all():
        assert f"Raum {room.number}: {room.name}" in text
        assert letters(room.topic) in letters(text)
    assert letters("In allen 8 parallelen Break-out-Räumen") in letters(text)
    # Join links are private.
    assert "konferenz.example.org" not in text


def test_pdf_is_a4_with_page_numbers_running_header_and_embedded_fonts(
    client, demo_event, tmp_path, poppler
):
    content = client.get("/events/koki-abschluss/programme.pdf").content

    info = pdf_tool("pdfinfo", content, tmp_path)
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    assert "Tagged:          yes" in info
    assert f"Title:           Programm: {demo_event.title}" in info
    pages_text = pdf_text(content, tmp_path).split("\f")
    for number in range(1, pages + 1):
        assert f"Seite {number} von {pages}" in pages_text[number - 1]
    # The running header repeats the title from the second page on.
    assert squash(demo_event.title) in squash(pages_text[1].split("Zeit")[0])
    fonts = pdf_tool("pdffonts", content, tmp_path).splitlines()[2:]
    assert fonts
    assert all(" yes yes yes " in line for line in fonts), fonts
    assert any("DejaVu" in line for line in fonts)


def test_pdf_in_english_by_request_language(client, demo_event, tmp_path, poppler):
    response = client.get("/en/events/koki-abschluss/programme.pdf")

    text = squash(pdf_text(response.content, tmp_path))
    assert response["Content-Disposition"] == 'inline; filename="koki-abschluss-programme.pdf"'
    assert "Page 1 of" in text
    layout = pdf_text(response.content, tmp_path, layout=True)
    assert re.search(r"Time +Item +Speakers +Room", layout)
    assert "March 16, 2027" in text
    assert letters("In all 8 parallel break-out rooms") in letters(text)
    assert "Room 3: Nursing Care" in text
    assert "Seite 1" not in text


def test_pdf_across_days_shows_the_day(client, tmp_path, poppler):
    event = EventFactory(slug="zwei-tage", ends_at=timezone.now() + dt.timedelta(days=40))
    AgendaItemFactory(event=event, title="Erster Tag")
    AgendaItemFactory(
        event=event, title="Zweiter Tag", starts_at=event.starts_at + dt.timedelta(days=1)
    )
    text = squash(pdf_text(client.get("/events/zwei-tage/programme.pdf").content, tmp_path))
    second_day = timezone.localtime(event.starts_at + dt.timedelta(days=1)).strftime("%d.%m.%Y")
    assert second_day in text


def test_fetcher_serves_only_our_static_files(settings):
    fetcher = pdf.StaticOnlyFetcher()
    css = fetcher.fetch("http://127.0.0.1:8000/static/css/programme-print.css")
    assert css.content_type == "text/css"
    assert b"size: A4" in css.read()
    css.close()
    refused = [
        "file:///etc/passwd",
        "file:///work/koki/settings.py",
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:8000/static/../koki/settings.py",
        "http://127.0.0.1:8000/static/%2e%2e/koki/settings.py",
        "http://127.0.0.1:8000/static/css/../../../etc/passwd.css",
        "http://127.0.0.1:8000/static/css/koki.css?x=1",
        "http://127.0.0.1:8000/static/css/missing.css",
        "http://127.0.0.1:8000/static/bootstrap/js/bootstrap.bundle.min.js",
        "http://example.org/static/css/programme-print.css",
        "https://127.0.0.1:8000/static/css/koki.css",
        "data:text/css,body{}",
        "ftp://example.org/x.css",
    ]
    for url in refused:
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture
def trap_server():
    """A local HTTP server that records every request (nothing should reach it)."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.hits
    server.shutdown()
    server.server_close()
    thread.join()


def _image_count(content: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(content)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return len(listing.splitlines()) - 2


def test_references_in_organiser_text_are_not_fetched(client, tmp_path, trap_server, poppler):
    base, hits = trap_server
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    payload = (
        f'<img src="{base}/img.png"> <img src="file://{secret}">'
        f'<link rel="stylesheet" href="{base}/evil.css">'
        f"<style>@import url({base}/import.css); body {{ background: url(file://{secret}) }}"
        f"</style>"
    )
    event = EventFactory(
        slug="boese",
        description=f"Beschreibung {payload}",
        organiser=OrganiserFactory(slug="orga", name=f'Orga <img src="{base}/orga.png">'),
    )
    short = f'<img src="{base}/short.png"> <img src="file://{secret}">'  # for short fields
    room = RoomFactory(event=event, number=1, topic=payload, moderators=short)
    item = AgendaItemFactory(event=event, title=f"Titel {short}", description=payload, room=room)
    AgendaItemSpeakerFactory(
        agenda_item=item, speaker=SpeakerFactory(name=short, role=short, bio=payload)
    )

    response = client.get("/events/boese/programme.pdf")

    assert response.status_code == 200
    assert hits == []
    assert _image_count(response.content, tmp_path) == 0
    # The text is printed as text, not interpreted.
    assert f'<img src="{base}/img.png">' in pdf_text(response.content, tmp_path).replace("\n", "")


def test_renderer_refuses_external_references_even_in_raw_html(tmp_path, trap_server, poppler):
    """Defence in depth: even markup that escaped escaping cannot make WeasyPrint fetch."""
    base, hits = trap_server
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    html = (
        "<html><head>"
        f'<link rel="stylesheet" href="{base}/evil.css">'
        f'<link rel="stylesheet" href="file://{tmp_path}/evil.css">'
        f"<style>@import url({base}/import.css); "
        f"@font-face {{ font-family: X; src: url({base}/font.ttf) }}"
        f"body {{ background: url(file://{secret}) }}</style>"
        "</head><body>"
        f'<p>Text</p><img src="{base}/img.png"><img src="file://{secret}">'
        f'<img src="data:image/png;base64,iVBORw0KGgo="><object data="{base}/obj"></object>'
        f'<iframe src="{base}/frame"></iframe><svg><image href="{base}/svg.png"/></svg>'
        "</body></html>"
    )
    (tmp_path / "evil.css").write_text("p { color: red }")

    content = pdf.html_to_pdf(html)

    assert hits == []
    assert _image_count(content, tmp_path) == 0
    assert "Text" in pdf_text(content, tmp_path)


def test_cache_hit_does_not_render_again(client, demo_event, renders):
    templates = []

    def on_render(sender, template, **kwargs):
        templates.append(template.name)

    template_rendered.connect(on_render)
    try:
        first = client.get("/events/koki-abschluss/programme.pdf")
        second = client.get("/events/koki-abschluss/programme.pdf")
    finally:
        template_rendered.disconnect(on_render)

    assert second.status_code == 200
    assert second.content == first.content
    assert [kind for kind, _key in renders] == ["pdf"]
    assert templates.count("pdf/programme.html") == 1


def test_each_language_is_rendered_and_cached_once(client, demo_event, renders):
    for _round in range(2):
        client.get("/events/koki-abschluss/programme.pdf")
        client.get("/en/events/koki-abschluss/programme.pdf")
    assert len(renders) == 2
    assert renders[0][1] != renders[1][1]


def test_pdf_conditional_requests(client, demo_event, renders):
    first = client.get("/events/koki-abschluss/programme.pdf")

    again = client.get("/events/koki-abschluss/programme.pdf", HTTP_IF_NONE_MATCH=first["ETag"])
    since = client.get(
        "/events/koki-abschluss/programme.pdf", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    head = client.head("/events/koki-abschluss/programme.pdf", HTTP_IF_NONE_MATCH=first["ETag"])
    stale = client.get("/events/koki-abschluss/programme.pdf", HTTP_IF_NONE_MATCH='W/"alt"')
    post = client.post("/events/koki-abschluss/programme.pdf")

    assert (again.status_code, again.content) == (304, b"")
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert (since.status_code, head.status_code) == (304, 304)
    assert stale.status_code == 200
    assert stale.content == first.content
    assert post.status_code == 405
    assert first["Cache-Control"] == "public, no-cache"
    assert first["Vary"] == "Cookie"  # the language: ?lang= or the switcher's cookie
    assert len(renders) == 1


def test_pdf_of_unknown_or_unpublished_event_is_404(client):
    EventFactory(slug="entwurf", is_published=False)
    assert client.get("/events/entwurf/programme.pdf").status_code == 404
    assert client.get("/events/gibt-es-nicht/programme.pdf").status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_pdf_query_count_does_not_grow_with_items(client, django_assert_num_queries, count):
    event = EventFactory(slug=f"pdf-{count}")
    room = RoomFactory(event=event, number=1)
    for index in range(count):
        item = AgendaItemFactory(
            event=event,
            starts_at=event.starts_at + dt.timedelta(minutes=index),
            room=room if index % 2 else None,
            kind=AgendaItem.Kind.TALK,
        )
        AgendaItemSpeakerFactory(agenda_item=item)
    with django_assert_num_queries(5):  # the event's key and the event, items, speakers, rooms
        miss = client.get(f"/events/{event.slug}/programme.pdf")
    with django_assert_num_queries(0):  # the event and the file from the cache
        hit = client.get(f"/events/{event.slug}/programme.pdf")
    assert hit.content == miss.content


def page_texts(content: bytes, tmp_path) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [squash(page) for page in pdf_text(content, tmp_path).split("\f") if page.strip()]


@pytest.mark.parametrize(
    ("language", "agenda", "rooms", "note"),
    [
        ("de", "Ablauf", "Die 8 Break-out-Räume", "Hinweise und Quellen"),
        ("en", "Agenda", "The 8 break-out rooms", "About this information"),
    ],
)
def test_page_one_is_the_handout_and_the_details_follow(
    demo_event, tmp_path, poppler, settings, language, agenda, rooms, note
):
    settings.SITE_URL = "https://anmeldung.example.org"
    content = pdf.programme_pdf(programme=programme_for(event=demo_event), language=language)

    first, *rest = page_texts(content, tmp_path)
    with translation.override(language):
        title, span = demo_event.title, demo_event.local_span()
        items = [item.title for item in demo_event.agenda_items.all()]
        room_names = [room.name for room in demo_event.rooms.order_by("number")]
        description, source_note = demo_event.description, demo_event.source_note
    assert squash(title) in first
    assert f"{span} (Europe/Berlin)" in first
    assert agenda in first
    for item in items:
        assert letters(item) in letters(first), item
    assert rooms in first
    for number, name in enumerate(room_names, start=1):
        assert f"{number} {name}" in first, name
    # Page 1 is the overview: the description, details and the source note come after it.
    assert description.split(".")[0] not in first
    assert squash(description.split(".")[0]) in rest[0]
    assert note not in first
    assert f"{note} {squash(source_note.split('.')[0])}" in rest[-1]
    # Every link is on the site's own address (KOKI_SITE_URL), in the PDF's language.
    url = "https://anmeldung.example.org" + ("/en" if language == "en" else "")
    assert f"{url}/events/koki-abschluss/" in first
    assert "127.0.0.1" not in " ".join([first, *rest])


@pytest.mark.parametrize("language", ["de", "en"])
def test_qr_code_leads_to_the_event_page_in_the_pdfs_language(demo_event, settings, language):
    settings.SITE_URL = "https://anmeldung.example.org"
    prefix = "/en" if language == "en" else ""
    url = f"https://anmeldung.example.org{prefix}/events/koki-abschluss/"

    html = pdf.programme_html(programme=programme_for(event=demo_event), language=language)

    [svg] = re.findall(r"<svg .*?</svg>", html, flags=re.DOTALL)
    with translation.override(language):
        assert svg == pdf.qr_svg(url)  # drawn from exactly this payload
    assert f'aria-label="QR{"-Code" if language == "de" else " code"}: {url}"' in svg
    matrix = pdf.qr_code(url).matrix
    assert len(matrix) == len(matrix[0]) >= 21  # a real QR symbol (version 1 has 21 modules)
    assert "<image" not in svg  # vector paths only, nothing to fetch
    assert "href" not in svg


def test_qr_code_is_vector_and_the_pdf_fetches_nothing(client, demo_event, tmp_path, poppler):
    content = client.get("/events/koki-abschluss/programme.pdf").content

    assert _image_count(content, tmp_path) == 0
