"""How koki's mails look and who they come from: one designed HTML layout
(templates/emails/base.html, CSS from static/css/mail.css inlined into each element with
css-inline, no images), the plain-text alternative made from the same HTML, the sender in the
organiser's name with the site's address, replies to the organiser, and a subject that is one
line however the event's title was typed.
"""

import functools
from email.header import Header
from email.headerregistry import Address
from email.utils import parseaddr
from html.parser import HTMLParser

import css_inline
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import Event
from koki.site import absolute_url


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    with open(finders.find("css/mail.css"), encoding="utf-8") as file:
        css = file.read()
    # Nothing is fetched: no remote stylesheet, and <link> elements are dropped.
    return css_inline.CSSInliner(extra_css=css, load_remote_stylesheets=False)


def inline(html: str) -> str:
    """`html` with the mail CSS in each element's style attribute, no <style> or <link> left."""
    return _inliner().inline(html)


def one_line(text: str) -> str:
    """`text` on one line: a title typed with a line break must not break a mail header."""
    return " ".join(str(text).split())


def sender(event: Event) -> str:
    """From: “<organiser> via koki” with the address of DEFAULT_FROM_EMAIL (the organiser's
    own domain would fail SPF and DMARC when koki's server sends)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    name = gettext("%(organiser)s via koki") % {"organiser": one_line(event.organiser.name)}
    return _address(name, address)


def reply_to(event: Event) -> list[str]:
    """Reply-To: the organiser's contact address, so answers reach a person."""
    email = event.organiser.contact_email
    return [_address(one_line(event.organiser.name), email)] if email else []


def _address(name: str, address: str) -> str:
    """ "Name" <address>, quoted where the name needs it (a colon, a comma), not yet encoded:
    the mail's header encodes it once, as RFC 2047 asks for non-ASCII names."""
    username, _at, domain = address.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def layout_context(event: Event) -> dict:
    """What the layout's header and footer show: the event, its organiser, their legal pages."""
    organiser = event.organiser
    imprint = reverse("events:imprint", kwargs={"organiser": organiser.slug})
    return {
        "event": event,
        "organiser": organiser,
        "event_url": absolute_url(event.get_absolute_url()),
        "imprint_url": absolute_url(imprint),
        "privacy_url": absolute_url(reverse("events:privacy", kwargs={"slug": event.slug})),
    }


def render(template: str, context: dict) -> dict[str, str]:
    """HTML (inlined) and plain text of one mail from one template."""
    html = inline(render_to_string(template, context))
    return {"html": html, "text": plain_text(html)}


class _Subject(str):
    """A Subject header that folds itself into RFC 2047 encoded words with the spaces kept
    inside them. (Python's own folding puts a space between two encoded words, where RFC 2047
    says to ignore it: „#KoKI – Künstliche“ would arrive as „#KoKI–Künstliche“.)"""

    name = "Subject"

    def fold(self, *, policy) -> str:
        charset = "us-ascii" if self.isascii() else "utf-8"
        header = Header(
            str(self), charset, maxlinelen=policy.max_line_length, header_name="Subject"
        )
        return f"Subject: {header.encode(linesep=policy.linesep)}{policy.linesep}"


class Mail(EmailMultiAlternatives):
    def message(self, **kwargs):
        message = super().message(**kwargs)
        del message["Subject"]
        message["Subject"] = _Subject(self.subject)
        return message


def message(
    *, event: Event, subject: str, content: dict[str, str], to: list[str], language: str
) -> Mail:
    with translation.override(language):
        from_email = sender(event)
    mail = Mail(
        subject=one_line(subject),
        body=content["text"],
        from_email=from_email,
        to=to,
        reply_to=reply_to(event),
        # Sent by a program (RFC 3834): out-of-office answers stay away.
        headers={"Auto-Submitted": "auto-generated"},
    )
    mail.attach_alternative(content["html"], "text/html")
    return mail


# --- The plain-text alternative ------------------------------------------------------------------

BLOCKS = {"p", "div", "h1", "h2", "h3", "table", "tr", "ul", "ol", "li"}
PARAGRAPHS = {"p", "h1", "h2", "h3", "ul", "ol", "table"}


class _PlainText(HTMLParser):
    """The text of a mail's HTML, as a person reads it: paragraphs, "- " list items, and each
    link's address after its text (“Confirm <https://…>”). Skips the head and anything marked
    `data-plain="skip"` (the inbox preview line)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip_depth = 0
        self.stack: list[str] = []
        self.links: list[tuple[str, int]] = []

    def _break(self, blank: bool) -> None:
        """End the current line; `blank`: with an empty line after the paragraph."""
        if self.lines[-1].strip():
            self.lines.append("")
        if blank and len(self.lines) > 1 and self.lines[-2].strip():
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if (
            self.skip_depth
            or tag in {"head", "style", "script"}
            or (attributes.get("data-plain") == "skip")
        ):
            if tag not in {"br", "meta", "link"}:
                self.skip_depth += 1
                self.stack.append(tag)
            return
        if tag == "br":
            self.lines.append("")
        elif tag in BLOCKS:
            self._break(tag in PARAGRAPHS)
            if tag == "li":
                self.lines[-1] = "- "
        if tag == "a":
            self.links.append((attributes.get("href", ""), len(self.lines[-1])))

    def handle_endtag(self, tag):
        if self.skip_depth:
            if self.stack and self.stack[-1] == tag:
                self.stack.pop()
                self.skip_depth -= 1
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = self.lines[-1][start:].strip()
            if href and href != text and href != f"mailto:{text}":
                self.lines[-1] = self.lines[-1].rstrip() + f" <{href}>"
        elif tag in BLOCKS:
            self._break(tag in PARAGRAPHS)

    def handle_data(self, data):
        if self.skip_depth:
            return
        text = " ".join(data.split())
        if not text:
            if data and self.lines[-1] and not self.lines[-1].endswith(" "):
                self.lines[-1] += " "
            return
        if data[:1].isspace() and self.lines[-1] and not self.lines[-1].endswith((" ", "- ")):
            text = " " + text
        if data[-1:].isspace():
            text += " "
        self.lines[-1] += text

    def text(self) -> str:
        out: list[str] = []
        for line in (
            line.rstrip() if line.startswith("- ") else line.strip() for line in self.lines
        ):
            if line or (out and out[-1]):
                out.append(line)
        return "\n".join(out).strip() + "\n"


def plain_text(html: str) -> str:
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.text()
