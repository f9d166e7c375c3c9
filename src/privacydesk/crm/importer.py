"""CSV import of contacts (``privacydesk crm import FILE`` and the staff import page).

Every row is checked before anything is written; then the good rows are imported in one
transaction, so a file is never half imported. Rows are numbered as a spreadsheet shows them
(the header is row 1). What the file may look like:

- encoding: UTF-8 (with or without a byte-order mark) or Windows-1252/Latin-1 (what Excel on
  Dutch Windows writes); anything else (UTF-16, binary, NUL bytes) is refused;
- separator: ``;`` (Dutch Excel) or ``,`` (or a tab), taken from the header line;
- columns (any order, English or Dutch, any case): name/naam and email/e-mail are required,
  phone/telefoon, function/functie, organisation/organisatie and newsletter/nieuwsbrief
  optional; an unknown column makes the file unusable, so nothing in it is silently dropped;
- at most ``MAX_BYTES``.

A row whose address belongs to a contact already is compared with it: the same values are
"unchanged" (importing a file twice changes nothing), other values update the contact.

The newsletter column (ja/nee, yes/no, 1/0 or empty; anything else rejects the row) asks for
the soft opt-in of a customer (``crm.newsletter``): a "ja" row whose contact, once imported,
has an invoice is put on the public list in the same transaction; otherwise the contact is
imported and the row gets a note saying why it was not subscribed (not a customer, on the
suppression list, unsubscribed earlier). An address that is already subscribed stays as it
is, and one that unsubscribed is never added again, so a second import changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacydesk.audit.services import record
from privacydesk.crm import newsletter, services, validators
from privacydesk.crm.models import Contact, Organisation

MAX_BYTES = 10 * 1000 * 1000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"

#: Column -> the header names it is recognised by (compared case-folded, without spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "naam", "fullname", "volledigenaam"),
    "email": ("email", "e-mail", "emailaddress", "e-mailaddress", "e-mailadres", "emailadres"),
    "phone": ("phone", "telephone", "telefoon", "telefoonnummer", "tel"),
    "function": ("function", "jobtitle", "functie"),
    "organisation": ("organisation", "organization", "organisatie", "company", "bedrijf"),
}
REQUIRED = ("name", "email")
NEWSLETTER = "newsletter"


class Unusable(ValueError):
    """The file as a whole cannot be imported (encoding, size, header); exit status 2."""


@dataclass
class Row:
    row: int
    status: str
    reason: str = ""
    name: str = ""
    #: Said about a row that was imported: why the contact was not subscribed.
    note: str = ""
    #: Put on the newsletter by this import (soft opt-in).
    subscribed: bool = False


@dataclass
class Report:
    encoding: str = ""
    delimiter: str = ""
    rows: list[Row] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)

    @property
    def imported(self) -> int:
        return self.count(CREATED, UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)

    @property
    def rejected(self) -> list[Row]:
        return [r for r in self.rows if r.status == REJECTED]

    @property
    def notes(self) -> list[Row]:
        return [r for r in self.rows if r.note]

    @property
    def subscribed(self) -> int:
        return sum(1 for r in self.rows if r.subscribed)

    @property
    def exit_status(self) -> int:
        return 1 if self.rejected else 0

    def as_json(self) -> dict:
        """The public contract: ``{"imported": n, "unchanged": n, "rejected": [...]}``, and
        ``"notes": [{"row": n, "note": "..."}]`` for imported rows that were not subscribed."""
        return {
            "imported": self.imported,
            "unchanged": self.unchanged,
            "rejected": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "notes": [{"row": r.row, "note": r.note} for r in self.notes],
        }


# -- reading the file ----------------------------------------------------------------------
def too_large() -> str:
    return _(
        "The file is larger than %(limit)d MB, the import's limit: split it into smaller files."
    ) % {"limit": MAX_BYTES // 1000 // 1000}


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in; :class:`Unusable` if it is neither
    UTF-8 nor Windows-1252 text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unusable(
            _("The file is UTF-16 text: save it as “CSV UTF-8” or as “CSV (semicolon)”.")
        )
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        raise Unusable(_("The file contains NUL bytes: it is not a CSV text file."))
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        if bom:
            raise Unusable(
                _("The file says it is UTF-8 but is not: invalid byte at position %(pos)d.")
                % {"pos": exc.start}
            ) from None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise Unusable(
            _(
                "The file is neither UTF-8 nor Windows-1252 (Latin-1) text: "
                "unreadable byte at position %(pos)d."
            )
            % {"pos": exc.start}
        ) from None
    return text, "Windows-1252"


def _header_key(name: str) -> str:
    return re.sub(r"[\s_]", "", name.strip().casefold())


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise Unusable(
            _(
                "The first line has no columns separated by ; or ,: the file needs at least "
                "the columns name and email."
            )
        )
    return best


def _known_columns() -> dict[str, tuple[str, ...]]:
    if newsletter.available():
        return {**COLUMNS, NEWSLETTER: newsletter.COLUMNS}
    return COLUMNS


def _columns(header: list[str]) -> list[str | None]:
    columns_known = _known_columns()
    known = {alias: column for column, aliases in columns_known.items() for alias in aliases}
    columns: list[str | None] = []
    for position, raw in enumerate(header, start=1):
        key = _header_key(raw)
        if not key:
            columns.append(None)  # an empty heading: its values must be empty too
            continue
        if key in newsletter.COLUMNS and not newsletter.available():
            raise Unusable(
                _(
                    "Column %(column)s: the newsletter app is not installed, so nobody can be "
                    "subscribed; remove the column and import again."
                )
                % {"column": f"“{raw.strip()}”"}
            )
        column = known.get(key)
        if column is None:
            raise Unusable(
                _("Unknown column %(column)s (column %(position)d); the columns are: %(known)s.")
                % {
                    "column": f"“{_shown(raw)}”",
                    "position": position,
                    "known": ", ".join(columns_known),
                }
            )
        if column in columns:
            raise Unusable(_("Column %(column)s appears twice.") % {"column": column})
        columns.append(column)
    for column in REQUIRED:
        if column not in columns:
            raise Unusable(_("The column %(column)s is missing.") % {"column": column})
    return columns


def _shown(value: str, limit: int = 40) -> str:
    """A value from the file, safe to quote in a message: control characters replaced."""
    cleaned = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def parse(text: str) -> tuple[str, list[str | None], list[tuple[int, list[str]]]]:
    """Delimiter, columns and the data records (with their spreadsheet row numbers)."""
    if not text.strip():
        raise Unusable(_("The file is empty."))
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise Unusable(
            _("The file is not valid CSV at line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": str(exc)}
        ) from None
    while records and not any(v.strip() for v in records[0]):
        records.pop(0)
    if not records:
        raise Unusable(_("The file is empty."))
    header, data = records[0], records[1:]
    columns = _columns(header)
    numbered = [(number, values) for number, values in enumerate(data, start=2)]
    return delimiter, columns, numbered


# -- checking the rows ---------------------------------------------------------------------
LABELS = {
    "name": lambda: _("name"),
    "email": lambda: _("e-mail"),
    "phone": lambda: _("phone"),
    "function": lambda: _("function"),
    "organisation": lambda: _("organisation"),
    NEWSLETTER: lambda: _("newsletter"),
}


def _check(values: dict[str, str], organisations: dict[str, Organisation]) -> tuple[dict, str]:
    """The contact's values, or the reason the row is refused."""
    problems: list[str] = []
    cleaned: dict = {}

    def run(column: str, check) -> None:
        try:
            check(values[column])
        except ValidationError as exc:
            problems.append(f"{LABELS[column]()}: {' '.join(str(m) for m in exc.messages)}")
        else:
            cleaned[column] = values[column]

    values = {k: v.strip() for k, v in values.items()}
    if "name" in values:
        values["name"] = validators.normalise_text(values["name"])
        run("name", validators.name)
    if "email" in values:
        values["email"] = validators.normalise_email(values["email"])
        run("email", validators.email)
    if "phone" in values:
        values["phone"] = validators.normalise_text(values["phone"])
        run("phone", validators.phone)
    if "function" in values:
        values["function"] = validators.normalise_text(values["function"])
        run("function", _function)
    if "organisation" in values:
        value = values["organisation"]
        found = organisations.get(value.casefold()) or organisations.get(f"kvk:{value}")
        if not value:
            cleaned["organisation"] = None
        elif found is None:
            problems.append(
                f"{LABELS['organisation']()}: "
                + _("no organisation named %(name)s (or with that KvK number); create it first.")
                % {"name": f"“{_shown(value)}”"}
            )
        else:
            cleaned["organisation"] = found
    if NEWSLETTER in values:
        choice = newsletter.parse_choice(values[NEWSLETTER])
        if choice is None:
            problems.append(
                f"{LABELS[NEWSLETTER]()}: "
                + _("%(value)s is not one of ja, nee, yes, no, 1, 0 (or empty).")
                % {"value": f"“{_shown(values[NEWSLETTER])}”"}
            )
        else:
            cleaned[NEWSLETTER] = choice
    return cleaned, "; ".join(problems)


def _function(value: str) -> None:
    if len(value) > validators.FUNCTION_MAX:
        raise ValidationError(
            _("Longer than %(max)d characters.") % {"max": validators.FUNCTION_MAX}
        )
    validators.plain_text(value)


def _organisations() -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for org in Organisation.objects.all():
        found[org.name.casefold()] = org
        if org.kvk_number:
            found[f"kvk:{org.kvk_number}"] = org
    return found


# -- running -------------------------------------------------------------------------------
def run_path(path: Path, *, actor: str) -> Report:
    """Import the file at ``path`` (its size is checked before it is read)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Unusable(_("The file cannot be read: %(error)s") % {"error": exc.strerror}) from None
    if size > MAX_BYTES:
        raise Unusable(too_large())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unusable(_("The file cannot be read: %(error)s") % {"error": exc.strerror}) from None
    return run(data, actor=actor, source="cli")


def run(data: bytes, *, actor: str, source: str) -> Report:
    """Check every row of ``data``, then import the good ones in one transaction."""
    if len(data) > MAX_BYTES:
        raise Unusable(too_large())
    text, encoding = decode(data)
    delimiter, columns, records = parse(text)
    report = Report(encoding=encoding, delimiter=delimiter)
    organisations = _organisations()
    good: list[tuple[Row, dict]] = []
    first_row_of: dict[str, int] = {}
    for number, raw in records:
        if not any(v.strip() for v in raw):
            continue  # an empty line (spreadsheets add them at the end): nothing to import
        if len(raw) > len(columns):
            extra = [v for v in raw[len(columns) :] if v.strip()]
            if extra:
                report.rows.append(
                    Row(number, REJECTED, _("more values than the header has columns"))
                )
                continue
        values: dict[str, str] = {}
        stray = False
        for column, value in zip(columns, raw, strict=False):
            if column is None:
                stray = stray or bool(value.strip())
            else:
                values[column] = value
        if stray:
            report.rows.append(Row(number, REJECTED, _("a value in a column without a heading")))
            continue
        for column in columns:
            if column is not None:
                values.setdefault(column, "")
        cleaned, reason = _check(values, organisations)
        if reason:
            report.rows.append(Row(number, REJECTED, reason))
            continue
        key = cleaned["email"].lower()
        if key in first_row_of:
            report.rows.append(
                Row(
                    number,
                    REJECTED,
                    _("the same e-mail address as row %(row)d") % {"row": first_row_of[key]},
                )
            )
            continue
        first_row_of[key] = number
        row = Row(number, CREATED, name=cleaned["name"])
        report.rows.append(row)
        good.append((row, cleaned))
    report.rows.sort(key=lambda r: r.row)
    wanted = [(row, values) for row, values in good if values.pop(NEWSLETTER, False)]
    if wanted and newsletter.public_list() is None:
        raise Unusable(
            _(
                "The newsletter list %(list)s does not exist, so nobody can be subscribed: "
                "create it first, or import the file without the newsletter column."
            )
            % {"list": f"“{newsletter.public_list_slug()}”"}
        )
    _import(good, report, actor=actor, source=source, newsletter_rows=wanted)
    return report


def _import(
    good: list[tuple[Row, dict]],
    report: Report,
    *,
    actor: str,
    source: str,
    newsletter_rows: list[tuple[Row, dict]],
) -> None:
    try:
        with transaction.atomic():
            existing = services.by_email(values["email"] for _row, values in good)
            new: list[Contact] = []
            today = timezone.localdate()
            for row, values in good:
                contact = existing.get(values["email"].lower())
                if contact is None:
                    contact = Contact(**values, last_contact_on=today)
                    contact.search_text = services.search_text_for(contact)
                    new.append(contact)
                    continue
                # Only what the file says: an empty cell leaves the contact's value alone.
                changes = {
                    k: v
                    for k, v in values.items()
                    if v not in ("", None) and getattr(contact, k) != v
                }
                if not changes:
                    row.status = UNCHANGED
                    continue
                for name, value in changes.items():
                    setattr(contact, name, value)
                contact.search_text = services.search_text_for(contact)
                contact.save()
                row.status = UPDATED
            Contact.objects.bulk_create(new, batch_size=500)
            if newsletter_rows:
                _subscribe(newsletter_rows, actor=actor)
            detail = {
                "source": source,
                "created": report.count(CREATED),
                "updated": report.count(UPDATED),
                "unchanged": report.unchanged,
                "rejected": len(report.rejected),
                "encoding": report.encoding,
            }
            if newsletter_rows:
                detail["subscribed"] = report.subscribed
                detail["not_subscribed"] = len(report.notes)
            record(actor=actor, action="crm.contacts.imported", detail=detail)
    except IntegrityError:
        # Another import or a colleague created one of these contacts at the same moment.
        raise Unusable(
            _(
                "The contacts changed while the file was imported; nothing was imported. "
                "Run it again."
            )
        ) from None


NOTES = {
    newsletter.NOT_CUSTOMER: lambda: _("not a customer: needs their own consent"),
    newsletter.SUPPRESSED: lambda: _("on the suppression list, not subscribed"),
    newsletter.UNSUBSCRIBED: lambda: _("unsubscribed from the newsletter earlier, not subscribed"),
    newsletter.UNMAILABLE: lambda: _("the newsletter cannot be sent to this address"),
    newsletter.RESTRICTED: lambda: _("restricted (Art. 18 GDPR): stored only, not subscribed"),
}


def _subscribe(rows: list[tuple[Row, dict]], *, actor: str) -> None:
    """The soft opt-in of the "ja" rows whose contact (now imported) has an invoice."""
    contacts = services.by_email(values["email"] for _row, values in rows)
    invoices = newsletter.customer_invoices(contacts.values())
    mailing_list = newsletter.public_list()
    for row, values in rows:
        contact = contacts[values["email"].lower()]
        invoice = invoices.get(contact.pk)
        outcome = newsletter.soft_opt_in(
            contact,
            invoice,
            source=newsletter.source_for(contact, invoice, row=row.row) if invoice else "",
            actor=actor,
            mailing_list=mailing_list,
        )
        if outcome == newsletter.SUBSCRIBED:
            row.subscribed = True
        elif outcome in NOTES:
            row.note = NOTES[outcome]()
