from datetime import UTC, date, datetime
from decimal import Decimal

from dashboard.platform import formatting as f


def test_naira_and_counts():
    assert f.naira(Decimal("1234567.891")) == "₦1,234,567.89"
    assert f.naira(-1234) == "-₦1,234.00"
    assert f.naira_short(1_234_567) == "₦1.2M"
    assert f.naira_short(350_000) == "₦350.0K"
    assert f.naira_short(999) == "₦999"
    assert f.count(12480) == "12,480"
    assert f.percent(0.1234) == "12.3%"


def test_dates_in_lagos():
    moment = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 00:30 on the 26th in Lagos (UTC+1)
    assert f.lagos_date(moment) == "26 Nov 2026"
    assert f.lagos_datetime(moment) == "26 Nov 2026, 00:30"
    assert f.lagos_date(date(2026, 1, 5)) == "5 Jan 2026"


def test_range_caption_and_escape():
    hospitals = f.Noun("hospital", "hospitals")
    assert f.range_caption(1, 50, 12480, hospitals) == "1–50 of 12,480 hospitals"
    assert f.range_caption(0, 0, 0, hospitals) == "No hospitals"
    assert f.range_caption(1, 1, 1, hospitals) == "1 hospital"  # not "1–1 of 1 hospitals"
    assert f.range_caption(1, 12, 12, hospitals) == "12 hospitals"
    assert f.range_caption(51, 51, 51, hospitals) == "51–51 of 51 hospitals"
    assert f.minutes_words(42) == "42 min" and f.minutes_words(125) == "2 h 5 min"
    assert f.minutes_words(3000) == "2 d 2 h"
    assert f.md_escape("[click](http://x)") == "\\[click\\]\\(http\\:\u2060//x\\)"
    assert f.humanise("login_failed") == "Login failed"


def test_humanise_keeps_acronyms_upper_case():
    assert f.humanise("nhia_capitation") == "NHIA capitation"
    assert f.humanise("hmo_claims") == "HMO claims"
    assert f.humanise("free_icu_beds") == "Free ICU beds"
    assert f.humanise("icu") == "ICU"
    assert f.humanise("ent_clinic") == "ENT clinic"
    assert f.humanise("hiv_and_tb_drugs") == "HIV and TB drugs"
    assert f.humanise("it_and_software") == "IT and software"
    assert f.humanise("patient_id") == "Patient ID"
    assert f.humanise("nhis_pdf_csv") == "NHIS PDF CSV"
    # Words that merely contain an acronym are left alone.
    assert f.humanise("maintenance_entry") == "Maintenance entry"
    assert f.humanise("hmos") == "Hmos"


def test_csv_safe_keeps_spreadsheet_formulas_as_text():
    from dashboard.platform.formatting import csv_safe

    assert csv_safe('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    assert csv_safe("+2348000000000") == "'+2348000000000"
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("Login failed") == "Login failed"
    assert csv_safe(42) == 42


def test_md_code_shows_text_literally_and_cannot_be_closed_early():
    assert f.md_code("ada@hospital.ng") == "`` ada@hospital.ng ``"
    assert f.md_code("a``b`c") == "`` abc ``"
    assert f.md_code(None) == "``  ``"


def test_md_escape_breaks_every_bare_address_the_markdown_autolinker_matches():
    """remark-gfm links text matching these after the escapes are read (the regexes from Streamlit's bundle)."""
    import re

    web = re.compile(r"(https?:\/\/|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
    email = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
    for text in ["https://evil.example/x", "see http://x.ng.", "www.evil.ng", "WWW.EVIL.NG", "ada@hospital.ng",
                 "mailto:ada@x.ng", "https://www.evil.ng", "reason: call 0803, or write to a.b+c@d.ng"]:  # fmt: skip
        read = re.sub(r"\\(.)", r"\1", f.md_escape(text))  # what the renderer matches against
        assert not web.search(read) and not email.search(read), text
        assert read.replace(f.WORD_JOINER, "") == text  # the reader sees the words as typed


def test_plot_escape_leaves_no_tag_for_plotly_and_is_idempotent():
    hostile = '<a href="https://evil">x</a><b>y</b> & $x$ &amp; &#60;i&#62;'
    once = f.plot_escape(hostile)
    assert "<" not in once and ">" not in once and "$" not in once
    assert once == '&lt;a href="https://evil"&gt;x&lt;/a&gt;&lt;b&gt;y&lt;/b&gt; &amp; &#36;x&#36; &amp; &#60;i&#62;'
    assert f.plot_escape(once) == once
    assert f.plot_escape(None) == "" and f.plot_escape("Fire safety") == "Fire safety"
