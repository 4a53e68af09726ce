"""Finding input files (plain CSVs, folders, zip archives) and decoding their bytes."""

from __future__ import annotations

import codecs
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asbhub.ingest.schemas import FileResult, FileStatus, Problem


@dataclass(frozen=True)
class Source:
    """One CSV to read: a file on disk, or an entry of a zip archive (``archive.zip!entry``)."""

    path: Path
    entry: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path}!{self.entry}" if self.entry else str(self.path)

    @property
    def basename(self) -> str:
        return PurePosixPath(self.entry).name if self.entry else self.path.name

    def size(self) -> int:
        """Uncompressed size in bytes (0 when it cannot be told)."""
        try:
            if self.entry is None:
                return self.path.stat().st_size
            with zipfile.ZipFile(self.path) as zf:
                return zf.getinfo(self.entry).file_size
        except (OSError, KeyError, zipfile.BadZipFile):
            return 0

    def read(self) -> bytes:
        """The file's bytes. A zip entry larger than :data:`MAX_ENTRY_BYTES` uncompressed, or
        compressed more than :data:`MAX_RATIO` to one, is refused before it is expanded, and
        its expansion is stopped at the cap whatever its header claims; a corrupt entry
        (bad CRC, truncated deflate stream) raises :class:`SourceFailure`."""
        if self.entry is None:
            return self.path.read_bytes()
        try:
            with zipfile.ZipFile(self.path) as zf:
                info = zf.getinfo(self.entry)
                _check_entry(self.name, info)
                with zf.open(info) as f:
                    data = f.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise SourceFailure(
                Problem(self.name, 0, f"corrupt zip entry: {exc or type(exc).__name__}")
            ) from exc
        if len(data) > MAX_ENTRY_BYTES:
            raise SourceFailure(Problem(self.name, 0, _too_large(len(data))))
        return data


# A month of street-level crime for the largest force (the Met) is ~40 MB of CSV that deflates
# about 8:1. Entries far beyond either are a zip bomb, not data: 2.1 MB expanding to 600 MB
# loaded 4.95 M rows at 2.3 GB of memory before these caps.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_RATIO = 50
RATIO_FROM_BYTES = 1024 * 1024  # small entries may compress far better; they cannot hurt


def _too_large(size: int) -> str:
    return (
        f"zip entry refused: expands to {size / 2**20:,.0f} MiB or more "
        f"(the limit is {MAX_ENTRY_BYTES / 2**20:,.0f} MiB)"
    )


def _check_entry(name: str, info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_ENTRY_BYTES:
        raise SourceFailure(Problem(name, 0, _too_large(info.file_size)))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
        raise SourceFailure(
            Problem(
                name,
                0,
                f"zip entry refused: compressed {ratio:,.0f} to 1 (the limit is {MAX_RATIO} "
                "to 1; data.police.uk files compress about 8 to 1)",
            )
        )


class SourceFailure(Exception):
    """A file that cannot be read at all; carries the problem to report and quarantine."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message())
        self.problem = problem


def failed_result(problem: Problem) -> FileResult:
    result = FileResult(source=problem.source, status=FileStatus.FAILED)
    result.note(problem.message())
    return result


def _zip_entries(path: Path, suffix: str) -> list[Source] | Problem:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        return Problem(str(path), 0, f"cannot open zip archive: {exc}")
    csvs = sorted(n for n in names if n.lower().endswith(".csv"))
    if not csvs:
        return Problem(str(path), 0, "zip archive holds no CSV file")
    wanted = [n for n in csvs if n.lower().endswith(suffix)]
    if not wanted:
        return Problem(str(path), 0, f"zip archive holds no *{suffix} file (found {csvs[0]})")
    return [Source(path, n) for n in wanted]


def discover(paths: Sequence[Path | str], *, suffix: str = "-street.csv") -> list[Source | Problem]:
    """Expand paths into sources; inputs that cannot be read come back as a :class:`Problem`.

    A folder is searched recursively for ``*<suffix>`` files and ``*.zip`` archives; a zip
    contributes its ``*<suffix>`` entries; a file named on the command line is read whatever
    its name.
    """
    out: list[Source | Problem] = []
    seen: set[tuple[Path, str | None]] = set()

    def add(items: Iterable[Source]) -> None:
        for s in items:
            key = (s.path.resolve(), s.entry)
            if key not in seen:
                seen.add(key)
                out.append(s)

    def add_zip(path: Path) -> None:
        found = _zip_entries(path, suffix)
        if isinstance(found, Problem):
            out.append(found)
        else:
            add(found)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffix)
            )
            zips = sorted(p for p in path.rglob("*.zip") if p.is_file())
            if not files and not zips:
                out.append(Problem(str(path), 0, f"folder holds no *{suffix} or .zip"))
            add(Source(p) for p in files)
            for z in zips:
                add_zip(z)
        elif path.is_file():
            if zipfile.is_zipfile(path):
                add_zip(path)
            else:
                add([Source(path)])
        else:
            out.append(Problem(str(path), 0, "no such file or folder"))
    return out


def decode(source: str, data: bytes) -> tuple[bytes, str, str | None]:
    """Return the bytes as UTF-8 (no byte-order mark), the encoding read, and a note on it.

    UTF-8 is tried first (a byte-order mark is honoured and dropped); a file that is not valid
    UTF-8 is read as Windows-1252, which is what spreadsheet exports on Windows produce.
    """
    encoding = "utf-8"
    for bom, utf16 in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF32_LE):
            try:
                text = data[len(bom) :].decode(utf16)
            except UnicodeDecodeError as exc:
                problem = Problem(source, 0, f"cannot decode {utf16}: {exc.reason}")
                raise SourceFailure(problem) from exc
            return text.encode("utf-8"), "utf-16", "UTF-16 (spreadsheet 'Unicode text'): decoded"
    if b"\x00" in data:
        # cp1252 would "decode" it, and the CSV reader then stops at the first NUL.
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise SourceFailure(
            Problem(
                source,
                line,
                "holds NUL bytes: not a text CSV (UTF-16 or UTF-32 without a byte-order mark?)",
            )
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc2:
            bad_line = data.count(b"\n", 0, exc2.start) + 1
            raise SourceFailure(
                Problem(
                    source,
                    bad_line,
                    f"cannot decode: not UTF-8 (line {line}) and not cp1252 "
                    f"(byte 0x{data[exc2.start]:02x} at line {bad_line})",
                )
            ) from exc2
        note = f"not valid UTF-8 (line {line}): decoded as cp1252 (Windows-1252)"
        return text.encode("utf-8"), "cp1252", note
    bom_note = "UTF-8 with a byte-order mark" if encoding == "utf-8-sig" else None
    return data, encoding, bom_note
