"""What an uploaded audio file really is, read from its first bytes (the declared type and name are not trusted)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AudioKind:
    mimetype: str
    extension: str


MP3 = AudioKind("audio/mpeg", ".mp3")
WAV = AudioKind("audio/wav", ".wav")
OGG = AudioKind("audio/ogg", ".ogg")
FLAC = AudioKind("audio/flac", ".flac")
M4A = AudioKind("audio/mp4", ".m4a")
WEBM = AudioKind("audio/webm", ".webm")
KINDS = (MP3, WAV, OGG, FLAC, M4A, WEBM)
BY_EXTENSION = {kind.extension: kind for kind in KINDS}
NAMES = "MP3, M4A, WAV, OGG, FLAC or WebM"


def _mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real version and layer, a bitrate that is not 'bad'."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer, bitrate = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11, head[2] >> 4
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111


def detect(data: bytes) -> AudioKind | None:
    """The audio format the content starts with, or None when it is not one we accept."""
    if data.startswith(b"ID3") or _mpeg_frame(data[:3]):
        return MP3
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data.startswith(b"OggS"):
        return OGG
    if data.startswith(b"fLaC"):
        return FLAC
    if data[4:8] == b"ftyp":
        return M4A
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    return None
