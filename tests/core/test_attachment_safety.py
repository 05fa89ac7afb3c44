"""Which attachments Desk may hand to the desktop's opener: by name, and by content whatever the
name says."""

from __future__ import annotations

import io
import zipfile

import pytest

from desk_app.core.attachment_safety import (
    MSI_CLASS_ID,
    OLE_MAGIC,
    Risk,
    judge,
    judge_content,
    judge_name,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _zip(*members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in members:
            archive.writestr(name, b"x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        "invoice.pdf.exe",
        "report.pdf.desktop",
        "setup.msi",
        "INVOICE.PDF.EXE",
        "run.sh",
        "tool.AppImage",
        "script.ps1",
        "macro.vbs",
        "payload.js",
        "page.hta",
        "shortcut.lnk",
        "link.url",
        "settings.reg",
        "disk.iso",
        "disk.img",
        "app.jar",
        "app.apk",
        "installer.dmg",
        "package.deb",
        "package.rpm",
        "x.py",
        "x.pl",
        "x.rb",
        "x.scr",
        "x.pif",
        "x.com",
        "x.bat",
        "x.cmd",
        "x.cpl",
        "x.inf",
        "x.wsf",
        "x.run",
        "x.bin",
        "folder/evil.exe",
        "C:\\Users\\x\\evil.exe",
        "setup.exe.",  # Windows drops trailing dots and spaces
        "setup.exe  ",
        "setup.exe. .",
    ],
)
def test_runnable_names_are_never_opened(name: str):
    verdict = judge(name, PDF)
    assert not verdict.safe
    assert verdict.risk == Risk.RUNNABLE_NAME


@pytest.mark.parametrize("name", ["offer.docm", "sheet.xlsm", "deck.pptm", "addin.xlam", "b.xlsb"])
def test_office_macro_formats_are_never_opened(name: str):
    verdict = judge(name, _zip("word/document.xml"))
    assert (verdict.safe, verdict.risk) == (False, Risk.MACRO_NAME)


def test_direction_marks_that_disguise_the_extension_are_never_opened():
    # Shown as "invoiceexe.pdf" in many file lists.
    verdict = judge("invoice\u202efdp.exe", PDF)
    assert (verdict.safe, verdict.risk) == (False, Risk.HIDDEN_NAME)
    assert not judge("photo\u2067.jpg", PNG).safe
    assert not judge("photo\u200f.jpg", PNG).safe


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(64), "ELF program"),
        (b"MZ\x90\x00" + bytes(64), "Windows program"),
        (b"\xcf\xfa\xed\xfe" + bytes(64), "Mach-O program"),
        (b"\xfe\xed\xfa\xce" + bytes(64), "Mach-O program"),
        (b"#!/bin/sh\nrm -rf ~\n", "script"),
        (b"L\x00\x00\x00\x01\x14\x02\x00" + bytes(64), "Windows shortcut"),
        (b"[Desktop Entry]\nType=Application\nExec=sh -c evil\n", "desktop launcher"),
        (b"\xef\xbb\xbf# launcher\n\n[Desktop Entry]\nExec=x\n", "desktop launcher"),
        (b"[InternetShortcut]\nURL=file:///tmp/x\n", "internet shortcut"),
        (b"Windows Registry Editor Version 5.00\r\n", "registry file"),
        (bytes(0x8001) + b"CD001" + bytes(16), "disk image"),
        (_zip("META-INF/MANIFEST.MF", "Main.class"), "Java program"),
        (_zip("AndroidManifest.xml", "classes.dex"), "Android program"),
    ],
)
def test_runnable_content_is_never_opened_whatever_the_name(content: bytes, what: str):
    for name in ("photo.jpg", "invoice.pdf", "notes.txt", "README"):
        verdict = judge(name, content)
        assert (verdict.safe, verdict.risk, verdict.detail) == (
            False,
            Risk.RUNNABLE_CONTENT,
            what,
        ), name


def test_office_documents_carrying_macros_are_never_opened_whatever_the_name():
    assert judge("report.docx", _zip("word/document.xml", "word/vbaProject.bin")).risk == (
        Risk.MACRO_CONTENT
    )
    old_doc = OLE_MAGIC + bytes(100) + "_VBA_PROJECT".encode("utf-16-le") + bytes(20)
    assert judge("letter.doc", old_doc).risk == Risk.MACRO_CONTENT
    installer = OLE_MAGIC + bytes(100) + MSI_CLASS_ID + bytes(20)
    assert judge_content(installer).detail == "Windows installer"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", PDF),
        ("photo.png", PNG),
        ("report.docx", _zip("[Content_Types].xml", "word/document.xml")),
        ("sheet.xlsx", _zip("[Content_Types].xml", "xl/workbook.xml")),
        ("letter.doc", OLE_MAGIC + bytes(200)),
        ("notes.txt", "Привет, 返金してください\n".encode()),
        ("notes.exe.txt", b"just text mentioning setup.exe and #! in the middle"),
        ("archive.zip", _zip("a.txt", "b.pdf")),
        ("broken.zip", b"PK\x03\x04 not really a zip"),
        ("empty.txt", b""),
        ("README", b"Plain words"),
        ("ini.txt", b"; a comment\n[settings]\nDesktop Entry=no\n"),
    ],
)
def test_ordinary_documents_may_be_opened(name: str, content: bytes):
    assert judge(name, content).safe


def test_the_name_is_judged_alone_too():
    assert judge_name("invoice.pdf").safe
    assert judge_name("no-extension").safe
    assert judge_name(".bashrc").safe  # a dot file: its content decides
    assert not judge_name("x.DeskTop").safe
