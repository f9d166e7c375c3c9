"""The published policy text: the 2018 promises kept, Art. 13 GDPR complete, facts from the model.

The policy of 1 June 2018 (``data/privacy-policy-2018-nl.txt``) is what the company promised;
every statement in it must survive in the text rendered from the privacy model (P1-P15), in
Dutch and in English. Periods, addresses and lists are not typed into the templates but come
from ``privacy_model.yaml``, so changing the model changes the text. No database is needed.
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest

from privacydesk.policy import services
from privacydesk.policy.schema import Processor, Text
from privacydesk.policy.text import html_to_text

LANGS = ("nl", "en")
EFFECTIVE = date(2026, 11, 25)

# Distinctive parts of the 2018 seed's sentences (Dutch) and their English counterparts.
SEED_STATEMENTS: list[tuple[str, str]] = [
    (
        "van toepassing zijn op de verwerking van persoonsgegevens door coMPjoeter",
        "applies to the processing of personal data by coMPjoeter",
    ),
    (
        "geïdentificeerd of identificeerbaar natuurlijk persoon",
        "identified or identifiable natural person",
    ),
    ("in de vorm van een bedrijf of overheidsorganisatie", "a company or government organisation"),
    (
        "op welke links een gebruiker van de website heeft geklikt",
        "which links a user of the website has clicked",
    ),
    (
        "hoe lang een gebruiker op een bepaalde pagina van onze website is geweest",
        "how long a user has been on a particular page of our website",
    ),
    (
        "Aan het verwerken van persoonsgegevens zijn bijzondere wettelijke voorschriften verbonden",
        "Special statutory rules apply to the processing of personal data",
    ),
    ("Algemene Verordening Gegevensbescherming", "General Data Protection Regulation"),
    (
        "ongeoorloofde toegang tot, aanpassing, openbaarmaking of verlies van persoonsgegevens",
        "unauthorised access to, alteration, disclosure or loss of personal data",
    ),
    ("welke rol coMPjoeter vervult", "what role coMPjoeter plays"),
    ("op ons beveiligde systeem opgeslagen", "stored on our secured system"),
    ("omdat er nog wel eens iets kan mislopen", "because something can go wrong now and then"),
    (
        "Na 1 maand worden deze gegevens uit ons systeem gewist",
        "After 1 month these data are erased from our system",
    ),
    ("voor niemand meer traceerbaar", "can no longer be traced by anyone"),
    (
        "ZORG IN IEDER GEVAL VOOR UW EIGEN OPSLAG VAN UW DATA (BACKUP)",
        "IN ANY CASE, MAKE SURE YOU KEEP YOUR OWN COPY OF YOUR DATA (BACKUP)",
    ),
    (
        "coMPjoeter verwerkingsverantwoordelijke in de zin van de AVG",
        "coMPjoeter is the controller within the meaning of the GDPR",
    ),
    ("het sturen van een nieuwsbrief", "sending a newsletter"),
    (
        "niet meermaals dezelfde gegevens hoeft achter te laten bij het downloaden van content",
        "does not have to leave the same details more than once when downloading content",
    ),
    ("alleen aanvullende informatie uitgevraagd", "only additional information is requested"),
    ("het versturen van commerciële content", "sending commercial content"),
    (
        "rechtmatig verzoek van een daartoe bevoegde autoriteit",
        "lawful request from a competent authority",
    ),
    (
        "het opsporen of voorkomen van schade of fraude",
        "detecting or preventing damage or fraud",
    ),
    ("in een verwerkersovereenkomst", "in a processor agreement"),
    (
        "het zakelijke e-mailadres en het telefoonnummer van de contactpersoon",
        "the business e-mail address and the telephone number of the contact person",
    ),
    ("zoals IP-adressen en klikgedrag", "such as IP addresses and click behaviour"),
    (
        "coMPjoeter kan niet benoemen welke categorieën persoonsgegevens",
        "coMPjoeter cannot name which categories of personal data",
    ),
    (
        "Wij adviseren onze klanten om de verbindingen te versleutelen",
        "We advise our customers to encrypt the connections",
    ),
    (
        "niet meer door coMPjoeter of derden worden uitgelezen",
        "can no longer be read by coMPjoeter or third parties",
    ),
    ("alleen zo lang als strikt noodzakelijk", "only for as long as strictly necessary"),
    (
        "Wij plaatsen cookies wanneer gebruikers onze websites gebruiken",
        "We place cookies when users use our websites",
    ),
    (
        "geen wettelijke verplichting of andere gegronde redenen",
        "no legal obligation or other valid reason",
    ),
    (
        "bezwaar tegen verwerkingen van persoonsgegevens kan ook altijd aan coMPjoeter",
        "objections to the processing of personal data can also always be addressed to coMPjoeter",
    ),
    (
        "Deze contactgegevens gelden eveneens voor verzoeken",
        "These contact details also apply to requests",
    ),
    (
        "Wij behouden ons het recht voor om deze privacyvoorwaarden te wijzigen",
        "We reserve the right to amend this privacy policy",
    ),
    (
        "regelmatig op deze pagina te kijken of er veranderingen zijn doorgevoerd",
        "check this page regularly for any changes",
    ),
]

# What Art. 13 GDPR requires and the 2018 text missed.
ART13_ADDITIONS: dict[str, list[str]] = {
    "nl": [
        "Autoriteit Persoonsgegevens",
        "klacht in te dienen bij de toezichthouder",
        "Beperking van de verwerking",
        "art. 18 AVG",
        "Overdraagbaarheid van gegevens",
        "art. 20 AVG",
        "toestemming altijd intrekken",
        "geen afbreuk aan de rechtmatigheid van de verwerking vóór de intrekking",
        "binnen één maand",
        "met twee maanden verlengen",
        "uw identiteit aan te tonen",
        "art. 6 lid 1 sub a AVG",
        "art. 6 lid 1 sub b AVG",
        "art. 6 lid 1 sub c AVG",
        "art. 6 lid 1 sub f AVG",
    ],
    "en": [
        "Autoriteit Persoonsgegevens (Dutch Data Protection Authority)",
        "lodge a complaint with the supervisory authority",
        "Restriction of processing",
        "Art. 18 GDPR",
        "Data portability",
        "Art. 20 GDPR",
        "withdraw that consent at any time",
        "does not affect the lawfulness of the processing before the withdrawal",
        "within one month",
        "extend that period by two further months",
        "prove your identity",
        "Art. 6(1)(a) GDPR",
        "Art. 6(1)(b) GDPR",
        "Art. 6(1)(c) GDPR",
        "Art. 6(1)(f) GDPR",
    ],
}


def render(lang: str, model=None) -> str:
    return services.render_policy(
        model or services.current_model(), lang, version=2, effective=EFFECTIVE
    )


def text_of(lang: str, model=None) -> str:
    return html_to_text(render(lang, model))


def with_activity(model, activity_id: str, **changes):
    """A copy of ``model`` in which one activity has ``changes`` (retention: a dict of fields)."""
    activities = []
    for activity in model.activities:
        if activity.id == activity_id:
            update = dict(changes)
            if "retention" in update:
                update["retention"] = activity.retention.model_copy(update=update["retention"])
            activity = activity.model_copy(update=update)
        activities.append(activity)
    return model.model_copy(update={"activities": activities})


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {lang: text_of(lang) for lang in LANGS}


# -- (a) the 2018 statements ----------------------------------------------------------------
@pytest.mark.parametrize(("nl", "en"), SEED_STATEMENTS, ids=[nl[:40] for nl, _ in SEED_STATEMENTS])
def test_seed_statement_is_kept_in_both_languages(texts, nl, en):
    assert nl.lower() in texts["nl"].lower()
    assert en.lower() in texts["en"].lower()


# Where the new text tidied the seed's grammar, the seed's own wording of the same statement.
SEED_WORDING = {
    "Na 1 maand worden deze gegevens uit ons systeem gewist": (
        "na 1 maand wordt deze data uit ons systeem gewist"
    ),
    "voor niemand meer traceerbaar": "niet meer traceerbaar voor niemand",
    "op ons beveiligde systeem opgeslagen": "op ons beveiligd systeem opgeslagen",
    "bezwaar tegen verwerkingen van persoonsgegevens kan ook altijd aan coMPjoeter": (
        "bezwaar tegen verwerkingen van persoonsgegevens kunnen ook altijd aan compjoeter"
    ),
    "niet meer door coMPjoeter of derden worden uitgelezen": (
        "niet meer door compjoeter of derden uitgelezen worden"
    ),
    "Wij behouden ons het recht voor om deze privacyvoorwaarden te wijzigen": (
        "wij behouden het recht voor om deze privacyvoorwaarden te wijzigen"
    ),
    "ZORG IN IEDER GEVAL VOOR UW EIGEN OPSLAG VAN UW DATA (BACKUP)": (
        "zorg in ieder geval voor uw eigen opslag van uw data. (backup)"
    ),
}


def test_seed_phrases_come_from_the_seed():
    """The Dutch phrases really are the seed's (after typography), or name the seed wording."""
    seed = (services.SEED_DIR / "privacy-policy-2018-nl.txt").read_text(encoding="utf-8")
    seed = " ".join(seed.split()).lower()
    for old, new in [
        ("ip adressen", "ip-adressen"),
        ("e-mail adres", "e-mailadres"),
        ("privacy voorwaarden", "privacyvoorwaarden"),
    ]:
        seed = seed.replace(old, new)
    for nl, _en in SEED_STATEMENTS:
        wording = SEED_WORDING.get(nl, nl)
        assert wording.lower() in seed, nl


# -- (b) Art. 13 GDPR ---------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_art13_additions_present(texts, lang):
    missing = [phrase for phrase in ART13_ADDITIONS[lang] if phrase not in texts[lang]]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_supervisory_authority_comes_from_the_model(texts, lang):
    assert services.current_model().supervisory_authority.get(lang) in texts[lang]


def test_legal_basis_article_is_added_when_the_detail_lacks_it():
    model = services.current_model()
    bare = Text(nl="Omdat wij dat met u afspraken.", en="Because we agreed so with you.")
    changed = with_activity(model, "recovery_vault", legal_basis_detail=bare)
    nl, en = text_of("nl", changed), text_of("en", changed)
    assert (
        "Omdat wij dat met u afspraken. (Uitvoering van een overeenkomst, art. 6 lid 1 sub b AVG)"
        in nl
    )
    assert "Because we agreed so with you. (Performance of a contract, Art. 6(1)(b) GDPR)" in en


# -- (c) every activity --------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_every_activity_with_its_retention_is_listed(texts, lang):
    model = services.current_model()
    for activity in model.activities:
        view = services.activity_view(model, activity, lang)
        assert view.name in texts[lang], activity.id
        assert view.purpose in texts[lang], activity.id
        assert view.legal_basis_detail in texts[lang], activity.id
        assert view.retention_reason in texts[lang], activity.id
        if activity.retention.period.iso() != "P0D":
            assert f"{view.retention}. {view.retention_reason}" in texts[lang], activity.id
        for recipient in view.recipients:
            assert recipient in texts[lang], activity.id


@pytest.mark.parametrize("lang", LANGS)
def test_model_lists_are_shown(texts, lang):
    model = services.current_model()
    for collection in ("data_categories", "data_subjects", "security_measures"):
        for item in getattr(model, collection):
            assert item.name.get(lang) in texts[lang], f"{collection}.{item.id}"


# -- (d) how to reach the controller ---------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_controller_contact_details(texts, lang):
    c = services.current_model().controller
    text = texts[lang]
    assert c.email in text
    assert f"{c.name}\n{c.street}\n{c.postcode} {c.city}" in text
    assert f"\u2018{c.reference}\u2019" in text  # in typographic quotes
    assert "coMPjoeter.nl" not in text  # the address is spelled as the model has it
    html = render(lang)
    assert f'href="mailto:{c.email}"' in html


# -- (e) the text follows the model ------------------------------------------------------------
def test_vault_retention_comes_from_the_model():
    changed = with_activity(
        services.current_model(), "recovery_vault", retention={"duration": "P2M"}
    )
    nl, en = text_of("nl", changed), text_of("en", changed)
    assert "Na 2 maanden worden deze gegevens uit ons systeem gewist" in nl
    assert "Na 1 maand worden deze gegevens" not in nl
    assert "strikt noodzakelijk om de doelen te bereiken: 2 maanden" in nl
    assert "After 2 months these data are erased from our system" in en
    assert "After 1 month these data" not in en
    assert "strictly necessary to achieve the purposes: 2 months" in en


def test_invoice_retention_comes_from_the_model():
    changed = with_activity(services.current_model(), "invoicing", retention={"duration": "P10Y"})
    assert "fiscale bewaarplicht 10 jaar na afloop van het boekjaar" in text_of("nl", changed)
    assert "for 10 years after the end of the fiscal year" in text_of("en", changed)
    assert "fiscale bewaarplicht 7 jaar na afloop" in text_of("nl")
    assert "for 7 years after the end of the fiscal year" in text_of("en")


def test_processors_are_listed_when_the_model_has_them():
    model = services.current_model()
    assert "Wij werken met de volgende verwerkers" not in text_of("nl", model)
    processor = Processor(
        id="example_host",
        name=Text(nl="Voorbeeld Hosting", en="Example Hosting"),
        service=Text(nl="Hosting van de website", en="Hosting the website"),
    )
    changed = with_activity(
        model.model_copy(update={"processors": [processor]}),
        "website_tracking",
        processors=["example_host"],
    )
    nl, en = text_of("nl", changed), text_of("en", changed)
    assert "Voorbeeld Hosting: Hosting van de website" in nl
    assert "Example Hosting: Hosting the website" in en
    assert "Verwerkers\nVoorbeeld Hosting" in nl
    assert "Processors\nExample Hosting" in en


# -- version, date, links --------------------------------------------------------------------
def test_version_date_and_links():
    nl, en = render("nl"), render("en")
    assert "het laatst gewijzigd op 25 november 2026 (versie 2)" in html_to_text(nl)
    assert "last amended on 25 November 2026 (version 2)" in html_to_text(en)
    assert 'href="/cookies/"' in nl
    assert 'href="/privacy/versions/"' in nl
    assert 'href="/en/cookies/"' in en
    assert 'href="/en/privacy/versions/"' in en


# -- (f) the English translation of the 2018 text ------------------------------------------------
def test_english_seed_translation_mirrors_the_dutch_paragraphs():
    nl = (services.SEED_DIR / "privacy-policy-2018-nl.txt").read_text(encoding="utf-8")
    en = (services.SEED_DIR / "privacy-policy-2018-en.txt").read_text(encoding="utf-8")
    nl_lines, en_lines = nl.splitlines(), en.splitlines()
    assert len([p for p in en_lines if p.strip()]) == len([p for p in nl_lines if p.strip()])
    assert [bool(p.strip()) for p in en_lines] == [bool(p.strip()) for p in nl_lines]
    assert "English translation" in en_lines[0]
    assert en_lines[-1] == "These Privacy terms were last amended on 1 June 2018."


# -- markup ---------------------------------------------------------------------------------
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "col", "source"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


@pytest.mark.parametrize("lang", LANGS)
def test_markup_is_balanced_and_csp_safe(lang):
    html = render(lang)
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert not parser.problems
    assert not parser.stack, f"unclosed: {parser.stack}"
    assert html.startswith('<article class="pd-policy"') and html.endswith("</article>")
    assert parser.tags.count("article") == 1 and parser.tags.count("h1") == 1
    assert parser.tags.count("section") == parser.tags.count("h2") >= 14
    assert not {"html", "body", "script", "style"} & set(parser.tags)
    assert "style" not in parser.attrs
    assert not any(a.startswith("on") for a in parser.attrs)
    assert "{{" not in html and "{%" not in html
