"""A campaign as an e-mail: Markdown to sanitised HTML and plain text, in one template that
carries the company's identity and postal address (the privacy model's controller).

The one template is ``mailings/_email_body.html`` (``email.html`` wraps it in a document for
the HTML part; the staff preview includes it too). The plain-text part is that same rendered
body turned into text (:func:`html_to_text`): headings, paragraphs, lists, links with their
address, the footer with identity, address and the unsubscribe link. So both parts always say
the same, and the text part never shows the raw Markdown.

The template is rendered once per campaign, language and legal basis; each recipient's
message only gets its own unsubscribe link and headers (RFC 2369 ``List-Id``,
``List-Unsubscribe``, RFC 8058 ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from privacydesk.mailings.models import Campaign, Subscription
from privacydesk.spine import mail

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i",
    "a", "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
#: Stand for the recipient's own unsubscribe link, address and Message-ID in a prepared message.
PLACEHOLDER = "https://unsubscribe.invalid/PRIVACYDESK-LINK"
TO_MARK = "pd-recipient@placeholder.invalid"
ID_MARK = "<pd-message-id@placeholder.invalid>"


def markdown_to_html(text: str) -> str:
    """Markdown rendered and sanitised: no scripts, styles, images or event handlers."""
    html = markdown_lib.markdown(text, extensions=["sane_lists", "tables"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


class _Text(HTMLParser):
    """Sanitised HTML (our tags only) as plain text."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "blockquote", "pre", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.lists: list[list] = []  # [kind, counter]
        self.href: list[str | None] = []
        self.link_text: list[int] = []
        self.pre = 0
        self.quote = 0
        self.heading: str | None = None
        self.cells: list[str] | None = None
        self.item = False  # the line being collected is a list item
        self.tight = False  # the last block was a list item or a table row

    def _add(self, text: str, *, tight: bool = False) -> None:
        """A block; list items and table rows follow each other without a blank line."""
        if tight and self.tight and self.blocks:
            self.blocks[-1] += "\n" + text
        else:
            self.blocks.append(text)
        self.tight = tight

    def _flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        if not self.pre:
            text = "\n".join(" ".join(part.split()) for part in text.split("\n"))
        text = text.strip("\n") if self.pre else text.strip()
        if not text:
            return
        if self.heading:
            underline = {"h1": "=", "h2": "-"}.get(self.heading)
            if underline:
                text = f"{text}\n{underline * len(text)}"
        if self.quote:
            text = "\n".join(f"> {line}" for line in text.split("\n"))
        self._add(text, tight=self.item)
        self.item = False

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS or tag == "li":
            self._flush()
        if tag in ("table", "ul", "ol") and not self.lists:
            self.tight = False
        if tag in ("h1", "h2", "h3", "h4"):
            self.heading = tag
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            self.lists[-1][1] += 1
            kind, number = self.lists[-1]
            indent = "  " * (len(self.lists) - 1)
            self.line.append(f"{indent}{number}. " if kind == "ol" else f"{indent}- ")
            self.item = True
        elif tag == "br":
            self.line.append("\n")
        elif tag == "hr":
            self._add("-" * 40)
        elif tag == "pre":
            self.pre += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th"):
            self.line = []
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text.append(len("".join(self.line)))

    def handle_endtag(self, tag):
        if tag == "a" and self.href:
            href, start = self.href.pop(), self.link_text.pop()
            shown = "".join(self.line)[start:].strip()
            if href and href not in (shown, f"mailto:{shown}"):
                self.line.append(f" <{href.removeprefix('mailto:')}>")
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append(" ".join("".join(self.line).split()))
            self.line = []
        elif tag == "tr" and self.cells is not None:
            self._add(" | ".join(self.cells), tight=True)
            self.cells = None
        elif tag in self.BLOCKS or tag == "li":
            self._flush()
            if tag in ("h1", "h2", "h3", "h4"):
                self.heading = None
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "pre":
                self.pre -= 1
            elif tag == "blockquote":
                self.quote -= 1

    def handle_data(self, data):
        self.line.append(data)

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks) + "\n"


def html_to_text(html: str) -> str:
    """The plain-text form of a rendered, sanitised message body."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def _controller():
    from privacydesk.policy.services import current_model

    return current_model().controller


def list_id(campaign: Campaign) -> str:
    title = campaign.mailing_list.title(settings.LANGUAGE_CODE).replace('"', "'")
    return f'"{title}" <{campaign.mailing_list.slug}.{mail.message_domain()}>'


class Renderer:
    """Renders one campaign for many recipients (the template once per language and basis)."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.body_html = markdown_to_html(campaign.markdown)
        self.controller = _controller()
        self._cache: dict[tuple[str, str, bool], tuple[str, str]] = {}
        self._wire: dict[tuple[str, str], bytes | None] = {}
        self.list_id = list_id(campaign)

    def parts(self, lang: str, basis: str, *, test: bool = False) -> tuple[str, str]:
        key = (lang, basis, test)
        if key not in self._cache:
            mailing_list = self.campaign.mailing_list
            context = {
                "campaign": self.campaign,
                "list_title": mailing_list.title(lang),
                "body_html": mark_safe(self.body_html),  # noqa: S308 - sanitised by nh3
                "controller": self.controller,
                "soft_opt_in": basis == Subscription.Basis.SOFT_OPT_IN,
                "unsubscribe": PLACEHOLDER,
                "test": test,
                "lang": lang,
            }
            with translation.override(lang):
                body = render_to_string("mailings/_email_body.html", context)
                html = render_to_string("mailings/email.html", {**context, "body": body})
            text = html_to_text(body)
            self._cache[key] = (text, html)
        return self._cache[key]

    def prepared(self, lang: str, basis: str) -> bytes | None:
        """The whole message as SMTP DATA, once per language and basis, with marks where each
        recipient's address, Message-ID and unsubscribe link go; None when a mark did not come
        through serialisation intact (a very long line is quoted-printable), and each message
        is then serialised on its own."""
        key = (lang, basis)
        if key not in self._wire:
            text, html = self.parts(lang, basis)
            message = self._build(
                to=TO_MARK, name="", text=text, html=html, unsubscribe=PLACEHOLDER
            )
            message.extra_headers["Message-ID"] = ID_MARK
            data = mail.wire(message)
            expected = 1 + text.count(PLACEHOLDER) + html.count(PLACEHOLDER)
            intact = (
                data.count(f"\r\nTo: {TO_MARK}\r\n".encode()) == 1
                and data.count(ID_MARK.encode()) == 1
                and data.count(PLACEHOLDER.encode()) == expected
            )
            self._wire[key] = data if intact else None
        return self._wire[key]

    def wire(
        self, subscription: Subscription, *, unsubscribe: str, message_id: str
    ) -> bytes | None:
        """This recipient's message as SMTP DATA, from :meth:`prepared` (None: serialise it)."""
        data = self.prepared(subscription.language, subscription.basis)
        if data is None:
            return None
        name = subscription.name
        to = mail.formataddr((name, subscription.email)) if name else subscription.email
        mail.check_header("recipient", to)
        mail.check_header("unsubscribe link", unsubscribe)
        return (
            data.replace(f"\r\nTo: {TO_MARK}\r\n".encode(), f"\r\nTo: {to}\r\n".encode())
            .replace(ID_MARK.encode(), message_id.encode())
            .replace(PLACEHOLDER.encode(), unsubscribe.encode())
        )

    @property
    def sender(self) -> str:
        """The envelope sender (MAIL FROM)."""
        return mail.parseaddr(mail.from_address())[1]

    def message(
        self, subscription: Subscription, *, unsubscribe: str, message_id: str | None = None,
        connection=None,
    ):  # fmt: skip
        text, html = self.parts(subscription.language, subscription.basis)
        return self._build(
            to=subscription.email, name=subscription.name, text=text, html=html,
            unsubscribe=unsubscribe, connection=connection, message_id=message_id,
        )  # fmt: skip

    def _build(
        self, *, to, name, text, html, unsubscribe, connection=None, test=False, message_id=None
    ):
        mailing_list = self.campaign.mailing_list
        headers = {"List-Id": self.list_id}
        if message_id:
            headers["Message-ID"] = message_id
        if unsubscribe:
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        recipient = mail.formataddr((name, to)) if name else to
        subject = self.campaign.subject
        if test:
            subject = f"[TEST] {subject}"
        return mail.build(
            recipient,
            subject,
            text.replace(PLACEHOLDER, unsubscribe or "-"),
            html.replace(PLACEHOLDER, unsubscribe or "#"),
            headers=headers,
            reply_to=mailing_list.reply_to or None,
            from_name=mailing_list.sender,
            connection=connection,
        )


_FOLD = re.compile(rb"\r\n[ \t]+")


def unsubscribe_headers_in(data: bytes, unsubscribe: str) -> bool:
    """Whether the message as SMTP DATA carries exactly one ``List-Unsubscribe`` header with
    this recipient's own link and the RFC 8058 ``List-Unsubscribe-Post`` header (read from
    the bytes that are sent, so a template or serialisation change cannot drop them unseen)."""
    end = data.find(b"\r\n\r\n")
    head = _FOLD.sub(b" ", data[: end if end >= 0 else len(data)])
    found: dict[bytes, list[bytes]] = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            found.setdefault(name.strip().lower(), []).append(value.strip())
    return bool(unsubscribe) and (
        found.get(b"list-unsubscribe") == [f"<{unsubscribe}>".encode()]
        and found.get(b"list-unsubscribe-post") == [b"List-Unsubscribe=One-Click"]
    )


def message_for(
    campaign: Campaign, *, to: str, name: str, unsubscribe: str, lang: str, test: bool = False
):
    renderer = Renderer(campaign)
    text, html = renderer.parts(lang, Subscription.Basis.CONSENT, test=test)
    return renderer._build(
        to=to, name=name, text=text, html=html, unsubscribe=unsubscribe, test=test
    )


def preview(campaign: Campaign, lang: str) -> tuple[str, str]:
    """The campaign's text and HTML parts as a subscriber by consent would get them."""
    return Renderer(campaign).parts(lang, Subscription.Basis.CONSENT)
