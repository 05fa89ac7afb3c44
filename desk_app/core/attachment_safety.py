"""May Desk hand an attachment to the desktop's default opener?

Opening a file means running whatever the desktop associates with it: for `invoice.pdf.exe`,
`report.pdf.desktop` or a shell script that is the attacker's program. So a file whose name or
content says it can run (executables, installers, scripts, shortcuts and launchers, disk images,
Office files with macros) is never opened; the agent may save it and scan it first.

The decision looks at the name the way a desktop would (case, trailing dots and spaces that
Windows drops, invisible direction marks that make `cod.exe` read as `exe.doc`) and at the
content, whatever the name says: a desktop that sniffs content would run an ELF program called
`photo.jpg` as readily as one called `photo`.

Pure: no Qt, no I/O; the caller passes the name and the bytes it already holds.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum


class Risk(StrEnum):
    RUNNABLE_NAME = "runnable_name"  # the extension runs a program (.exe, .sh, .desktop, …)
    MACRO_NAME = "macro_name"  # an Office format made for macros (.docm, .xlsm, …)
    HIDDEN_NAME = "hidden_name"  # direction marks that disguise the real extension
    RUNNABLE_CONTENT = "runnable_content"  # the bytes are a program, script or shortcut
    MACRO_CONTENT = "macro_content"  # an Office document that carries macros


@dataclass(frozen=True)
class Verdict:
    """safe: the opener may have it. Otherwise risk says why and detail names the evidence
    (".exe", "ELF program")."""

    safe: bool
    risk: Risk | None = None
    detail: str = ""


SAFE = Verdict(True)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Programs, installers, scripts, shortcuts, launchers and images a desktop would mount or run.
RUNNABLE_EXTENSIONS = _words(
    """
    exe msi msp mst com scr pif bat cmd ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psm1 vb vbs vbe
    js jse wsf wsc wsh hta cpl msc jar class apk xapk aab ipa app dmg pkg mpkg deb rpm snap
    flatpak flatpakref sh bash zsh csh tcsh ksh fish command tool run bin appimage elf out
    py pyw pyc pyo pyz pyzw pl pm rb php lua tcl desktop lnk url website webloc inetloc
    reg inf ins isp iso img vhd vhdx vmdk dll sys drv ocx so dylib gadget application appref-ms
    appx appxbundle msix msixbundle xbap jnlp scf shs shb library-ms searchconnector-ms
    settingcontent-ms chm hlp ade adp mda mdb mde accde accdr accda mdt mdw mdz mam maq mar mas
    mat mav maw xll xnk sct grp crt cer der action workflow osascript scpt scptbin
    applescript kext prg diagcab diagcfg diagpkg mof
    """
)

# Office formats whose purpose is to carry macros (the "m" formats, add-ins, binary workbooks).
MACRO_EXTENSIONS = _words(
    """
    docm dotm xlsm xltm xlam xla xlsb pptm potm ppam ppsm sldm ppa
    """
)

# Unicode direction controls: "invoice\u202egpj.exe" is shown as "invoiceexe.jpg".
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Magic numbers of programs, scripts and shortcuts, at offset 0.
RUNNABLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "ELF program"),
    (b"MZ", "Windows program"),
    (b"\xfe\xed\xfa\xce", "Mach-O program"),
    (b"\xfe\xed\xfa\xcf", "Mach-O program"),
    (b"\xce\xfa\xed\xfe", "Mach-O program"),
    (b"\xcf\xfa\xed\xfe", "Mach-O program"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal program or Java class"),
    (b"#!", "script"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "Windows shortcut"),
    (b"dex\n", "Android program"),
)
# Text launchers: looked for near the start, after a byte-order mark, blank lines or comments.
LAUNCHER_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"[desktop entry]", "desktop launcher"),
    (b"[internetshortcut]", "internet shortcut"),
    (b"[.shellclassinfo]", "folder settings"),
    (b"windows registry editor", "registry file"),
)
LAUNCHER_WINDOW = 4096

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The class id of a Windows Installer database ({000C1084-0000-0000-C000-000000000046}), as the
# root entry of its OLE file stores it.
MSI_CLASS_ID = bytes.fromhex("84100c0000000000c000000000000046")
# An ISO 9660 image names itself at 32 KiB + 1.
ISO_MARKER_AT, ISO_MARKER = 0x8001, b"CD001"
ZIP_MAGIC = b"PK\x03\x04"
# A VBA project's stream names, as OLE stores them (UTF-16LE directory entries).
OLE_MACRO_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"))
# Members that make a zip a program or a macro document.
ZIP_RUNNABLE_MEMBERS = {
    "meta-inf/manifest.mf": "Java program",
    "androidmanifest.xml": "Android program",
}
ZIP_MACRO_SUFFIX = "vbaproject.bin"


def judge(filename: str, content: bytes) -> Verdict:
    """Whether a file with this name and content may be opened by the desktop's opener."""
    name_verdict = judge_name(filename)
    if not name_verdict.safe:
        return name_verdict
    return judge_content(content)


def judge_name(filename: str) -> Verdict:
    if any(ch in BIDI_CONTROLS for ch in filename):
        return Verdict(False, Risk.HIDDEN_NAME, "direction marks in the name")
    # Only the last path part names the file; Windows drops trailing dots and spaces, so
    # "setup.exe. " runs as "setup.exe".
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(". \t").casefold()
    if "." not in base:
        return SAFE  # no extension: the content decides
    # The last extension is what the desktop goes by: "invoice.pdf.exe" is an .exe, while
    # "notes.exe.txt" is text (and its content is still checked).
    extension = base.rsplit(".", 1)[1].strip()
    if extension in RUNNABLE_EXTENSIONS:
        return Verdict(False, Risk.RUNNABLE_NAME, f".{extension}")
    if extension in MACRO_EXTENSIONS:
        return Verdict(False, Risk.MACRO_NAME, f".{extension}")
    return SAFE


def judge_content(content: bytes) -> Verdict:
    for magic, what in RUNNABLE_MAGIC:
        if content.startswith(magic):
            return Verdict(False, Risk.RUNNABLE_CONTENT, what)
    head = content[:LAUNCHER_WINDOW]
    lowered = head.removeprefix(b"\xef\xbb\xbf").lower()
    for marker, what in LAUNCHER_MARKERS:
        if _leads(lowered, marker):
            return Verdict(False, Risk.RUNNABLE_CONTENT, what)
    if content[ISO_MARKER_AT : ISO_MARKER_AT + len(ISO_MARKER)] == ISO_MARKER:
        return Verdict(False, Risk.RUNNABLE_CONTENT, "disk image")
    if content.startswith(OLE_MAGIC):
        if MSI_CLASS_ID in content:
            return Verdict(False, Risk.RUNNABLE_CONTENT, "Windows installer")
        if any(marker in content for marker in OLE_MACRO_MARKERS):
            return Verdict(False, Risk.MACRO_CONTENT, "Office macros")
    if content.startswith(ZIP_MAGIC):
        return _judge_zip(content)
    return SAFE


def _leads(text: bytes, marker: bytes) -> bool:
    """The marker is the first thing on a line after blank lines and comments only."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith((b"#", b";")):
            continue
        return stripped.startswith(marker)
    return False


def _judge_zip(content: bytes) -> Verdict:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [info.filename.casefold() for info in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError):
        return SAFE  # not a readable zip: whatever opens it sees no program in it either
    for name in names:
        if name in ZIP_RUNNABLE_MEMBERS:
            return Verdict(False, Risk.RUNNABLE_CONTENT, ZIP_RUNNABLE_MEMBERS[name])
        if name.endswith(ZIP_MACRO_SUFFIX):
            return Verdict(False, Risk.MACRO_CONTENT, "Office macros")
    return SAFE
