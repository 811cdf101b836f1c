"""Tiny, valid, deterministic audio for the fake CDN, written in pure Python.

Every file here decodes (with ffmpeg) to silence of an exact length, in the
containers SoundCloud's HLS uses:

* **MP3**: MPEG-1 Layer III frames, 48 kHz mono, constant bitrate; joined segments
  are one MP3 file.
* **MPEG-TS**: ADTS AAC-LC frames in PES packets with PTS, PAT and PMT at the start
  of each segment; joined segments are one transport stream.
* **fMP4**: an init segment (``ftyp`` + ``moov``) and fragments (``moof`` + ``mdat``)
  of raw AAC-LC frames; the init followed by the fragments is one MP4 file.

How silence is made without an encoder: an MP3 frame whose side information is all
zero carries no main data (``part2_3_length = 0``), so the rest of the frame is
ancillary data the decoder skips. An AAC frame holds one mono channel element with
``max_sfb = 0`` (no spectral data: silence), then a data stream element (DSE) whose
bytes the decoder ignores, then ``END``. Those ignored bytes carry a marker naming
the track, format and segment, so every segment's bytes are unique (a client that
drops, repeats or reorders a segment produces a different file), and they pad each
frame to the format's nominal bitrate, so sizes and timings are realistic.

Nothing is random and nothing depends on the time: the same track, format and
segment give the same bytes, in every process. Frame templates are small and cached;
a segment is its template repeated, so building a 10-second segment costs
microseconds.
"""

from __future__ import annotations

import functools
import struct
from typing import Final

__all__ = [
    "AAC_FRAME_SAMPLES",
    "MP3_FRAME_SAMPLES",
    "SAMPLE_RATE",
    "aac_raw_frame",
    "adts_frame",
    "mp3_frame",
    "mp4_fragment",
    "mp4_init",
    "ts_segment",
]

SAMPLE_RATE: Final = 48_000
#: Samples per MPEG-1 Layer III frame (24 ms at 48 kHz).
MP3_FRAME_SAMPLES: Final = 1152
#: Samples per AAC-LC frame (21.33 ms at 48 kHz).
AAC_FRAME_SAMPLES: Final = 1024

_MP3_BITRATE_INDEX: Final = {
    32: 1,
    40: 2,
    48: 3,
    56: 4,
    64: 5,
    80: 6,
    96: 7,
    112: 8,
    128: 9,
    160: 10,
    192: 11,
    224: 12,
    256: 13,
    320: 14,
}
#: MPEG-1 Layer III side information for one mono frame (17 bytes).
_MP3_SIDE_INFO: Final = 17
#: AAC-LC (object type 2), 48 kHz (index 3), mono (configuration 1).
AUDIO_SPECIFIC_CONFIG: Final = bytes([0x11, 0x88])


def _filler(marker: bytes, n: int) -> bytes:
    """``n`` bytes of ``marker`` repeated (the ignored payload of a frame)."""
    if n <= 0:
        return b""
    unit = marker or b"\0"
    return (unit * (n // len(unit) + 1))[:n]


@functools.lru_cache(maxsize=256)
def mp3_frame(kbps: int, marker: bytes) -> bytes:
    """One silent MPEG-1 Layer III frame, 48 kHz mono, ``kbps`` kbit/s.

    At 48 kHz a frame is ``144 * bitrate / 48000`` bytes, a whole number for every
    MPEG-1 bitrate, so no padding slot is ever needed and the stream is exactly CBR.
    """
    index = _MP3_BITRATE_INDEX.get(kbps)
    if index is None:
        raise ValueError(f"no MPEG-1 Layer III bitrate of {kbps} kbit/s")
    size = 144 * kbps * 1000 // SAMPLE_RATE
    # sync, MPEG-1, Layer III, no CRC | bitrate, 48 kHz, no padding | mono
    header = bytes([0xFF, 0xFB, (index << 4) | (0b01 << 2), 0b11 << 6])
    return header + bytes(_MP3_SIDE_INFO) + _filler(marker, size - 4 - _MP3_SIDE_INFO)


class _Bits:
    """A most-significant-bit-first bit writer."""

    __slots__ = ("_n", "_value")

    def __init__(self) -> None:
        self._value = 0
        self._n = 0

    def put(self, value: int, width: int) -> None:
        self._value = (self._value << width) | (value & ((1 << width) - 1))
        self._n += width

    def align(self) -> None:
        self.put(0, -self._n % 8)

    def bytes(self) -> bytes:
        self.align()
        return self._value.to_bytes(self._n // 8, "big")


@functools.lru_cache(maxsize=256)
def aac_raw_frame(size: int, marker: bytes) -> bytes:
    """One silent AAC-LC raw data block of exactly ``size`` bytes (mono).

    A single channel element with no scale factor bands, a data stream element of
    marker bytes to reach ``size``, and the end element.
    """
    bits = _Bits()
    bits.put(0, 3)  # ID_SCE
    bits.put(0, 4)  # element_instance_tag
    bits.put(100, 8)  # global_gain (unused: no spectral data)
    bits.put(0, 1)  # ics_reserved_bit
    bits.put(0, 2)  # window_sequence: ONLY_LONG_SEQUENCE
    bits.put(0, 1)  # window_shape
    bits.put(0, 6)  # max_sfb = 0: nothing coded, silence
    bits.put(0, 1)  # predictor_data_present
    bits.put(0, 1)  # pulse_data_present
    bits.put(0, 1)  # tns_data_present
    bits.put(0, 1)  # gain_control_data_present
    bits.put(4, 3)  # ID_DSE
    bits.put(0, 4)  # element_instance_tag
    bits.put(1, 1)  # data_byte_align_flag
    # 37 bits so far; the count (8 bits, +8 for an esc_count) and the alignment make
    # 6 (or 7) bytes of head, then the data bytes, then one byte for ID_END.
    if size - 7 < 255:
        data = size - 7
    elif 255 <= size - 8 <= 510:
        data = size - 8
    else:
        raise ValueError(f"an AAC frame of {size} bytes cannot be built")
    if data < 0:
        raise ValueError(f"an AAC frame of {size} bytes cannot be built")
    if data < 255:
        bits.put(data, 8)
    else:
        bits.put(255, 8)
        bits.put(data - 255, 8)
    head = bits.bytes()
    end = _Bits()
    end.put(7, 3)  # ID_END
    frame = head + _filler(marker, data) + end.bytes()
    if len(frame) != size:
        raise ValueError(f"an AAC frame of {size} bytes cannot be built (got {len(frame)})")
    return frame


def _adts_header(frame_length: int) -> bytes:
    # sync, MPEG-4, layer 0, no CRC | LC, 48 kHz, mono | length | VBR fullness, 1 block
    return bytes(
        [
            0xFF,
            0xF1,
            (1 << 6) | (3 << 2) | 0,
            (1 << 6) | (frame_length >> 11),
            (frame_length >> 3) & 0xFF,
            ((frame_length & 0x7) << 5) | 0x1F,
            0xFC,
        ]
    )


@functools.lru_cache(maxsize=256)
def adts_frame(size: int, marker: bytes) -> bytes:
    """One silent AAC-LC frame with its 7-byte ADTS header, ``size`` bytes in all."""
    return _adts_header(size) + aac_raw_frame(size - 7, marker)


def aac_frame_size(kbps: int) -> int:
    """Bytes of one AAC frame (ADTS header included) at ``kbps`` kbit/s, 48 kHz."""
    return round(kbps * 1000 / 8 * AAC_FRAME_SAMPLES / SAMPLE_RATE)


# -- MPEG-TS -----------------------------------------------------------------------------

_TS_PACKET: Final = 188
_PMT_PID: Final = 0x1000
_AUDIO_PID: Final = 0x100
#: PTS of the first sample, as HLS segmenters do (1.4 s, so PTS - PCR stays positive).
_PTS_START: Final = 126_000
#: AAC frames per PES packet.
_FRAMES_PER_PES: Final = 8


def _crc32_mpeg(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


@functools.lru_cache(maxsize=2)
def _psi_sections() -> tuple[bytes, bytes]:
    """The PAT and the PMT (stream type 0x0F: ADTS AAC), CRC included."""
    pat_body = struct.pack(">HBBB", 1, 0xC1, 0, 0) + struct.pack(">HH", 1, 0xE000 | _PMT_PID)
    pat = bytes([0x00]) + struct.pack(">H", 0xB000 | (len(pat_body) + 4)) + pat_body
    pat += struct.pack(">I", _crc32_mpeg(pat))
    pmt_body = (
        struct.pack(">HBBB", 1, 0xC1, 0, 0)
        + struct.pack(">HH", 0xE000 | _AUDIO_PID, 0xF000)
        + struct.pack(">BHH", 0x0F, 0xE000 | _AUDIO_PID, 0xF000)
    )
    pmt = bytes([0x02]) + struct.pack(">H", 0xB000 | (len(pmt_body) + 4)) + pmt_body
    pmt += struct.pack(">I", _crc32_mpeg(pmt))
    return pat, pmt


def _ts_packet(pid: int, payload: bytes, *, start: bool, cc: int, pcr: int | None = None) -> bytes:
    """One 188-byte packet; an adaptation field carries the PCR (90 kHz base) and stuffing."""
    room = _TS_PACKET - 4
    adaptation = b""
    if pcr is not None or len(payload) < room:
        length = room - len(payload) - 1  # adaptation field bytes after its length byte
        if length < 0:
            raise ValueError("payload too long for one packet")
        if length == 0:
            if pcr is not None:
                raise ValueError("no room for the PCR")
            adaptation = b"\x00"
        else:
            content = bytes([0x10 if pcr is not None else 0x00])
            if pcr is not None:
                base = pcr & ((1 << 33) - 1)
                content += struct.pack(">IH", base >> 1, ((base & 1) << 15) | 0x7E00)
            stuffing = length - len(content)
            if stuffing < 0:
                raise ValueError("payload too long for one packet with a PCR")
            adaptation = bytes([length]) + content + b"\xff" * stuffing
    control = (0x30 if adaptation else 0x10) | (cc & 0x0F)
    head = struct.pack(">BHB", 0x47, (0x4000 if start else 0) | pid, control)
    packet = head + adaptation + payload
    if len(packet) != _TS_PACKET:
        raise ValueError(f"bad TS packet length {len(packet)}")
    return packet


def _pes(payload: bytes, pts: int) -> bytes:
    """A PES packet of audio stream 0xC0 with a PTS."""
    p = pts & ((1 << 33) - 1)
    pts_bytes = bytes(
        [
            0x21 | ((p >> 29) & 0x0E),
            (p >> 22) & 0xFF,
            0x01 | ((p >> 14) & 0xFE),
            (p >> 7) & 0xFF,
            0x01 | ((p << 1) & 0xFE),
        ]
    )
    header = bytes([0x80, 0x80, len(pts_bytes)]) + pts_bytes
    length = len(header) + len(payload)
    return b"\x00\x00\x01\xc0" + struct.pack(">H", length if length <= 0xFFFF else 0) + header


def _packetize(pid: int, data: bytes, cc: int, pcr: int | None) -> tuple[list[bytes], int]:
    packets: list[bytes] = []
    first = True
    offset = 0
    while offset < len(data) or first:
        room = _TS_PACKET - 4 - (8 if first and pcr is not None else 0)
        chunk = data[offset : offset + room]
        offset += len(chunk)
        packets.append(_ts_packet(pid, chunk, start=first, cc=cc, pcr=pcr if first else None))
        cc = (cc + 1) & 0x0F
        first = False
    return packets, cc


@functools.lru_cache(maxsize=64)
def ts_packets_per_segment(frames: int, frame: int) -> int:
    """Audio packets a segment of ``frames`` ADTS frames of ``frame`` bytes takes."""
    return len(_ts_audio(frames, b"\0" * frame, 0, 0)[0])


def _ts_audio(frames: int, frame: bytes, first_frame: int, cc: int) -> tuple[list[bytes], int]:
    packets: list[bytes] = []
    ticks = 90_000 * AAC_FRAME_SAMPLES // SAMPLE_RATE  # 1920: exact at 48 kHz
    done = 0
    while done < frames:
        n = min(_FRAMES_PER_PES, frames - done)
        pts = _PTS_START + (first_frame + done) * ticks
        payload = frame * n
        pes = _pes(payload, pts) + payload
        pcr = pts - 63_000 if done == 0 else None
        more, cc = _packetize(_AUDIO_PID, pes, cc, pcr)
        packets += more
        done += n
    return packets, cc


def ts_segment(*, index: int, first_frame: int, frames: int, frame: bytes, audio_cc: int) -> bytes:
    """One MPEG-TS segment: PAT, PMT, then ``frames`` ADTS frames from ``first_frame``.

    ``audio_cc`` is the audio PID's continuity counter at the segment's start, so
    joined segments count on without a break.
    """
    pat, pmt = _psi_sections()
    psi_cc = index & 0x0F
    out = [
        _ts_packet(0, b"\x00" + pat, start=True, cc=psi_cc),
        _ts_packet(_PMT_PID, b"\x00" + pmt, start=True, cc=psi_cc),
    ]
    audio, _ = _ts_audio(frames, frame, first_frame, audio_cc)
    return b"".join(out + audio)


# -- fragmented MP4 ------------------------------------------------------------------------


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def _descriptor(tag: int, body: bytes) -> bytes:
    return bytes([tag, len(body)]) + body


_MATRIX: Final = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@functools.lru_cache(maxsize=8)
def mp4_init(kbps: int) -> bytes:
    """The init segment of an AAC-LC fMP4 track (one audio track, timescale 48 kHz)."""
    rate = kbps * 1000
    esds = _full_box(
        b"esds",
        0,
        0,
        _descriptor(
            0x03,
            struct.pack(">HB", 1, 0)
            + _descriptor(
                0x04,
                bytes([0x40, 0x15])
                + (6144).to_bytes(3, "big")
                + struct.pack(">II", rate, rate)
                + _descriptor(0x05, AUDIO_SPECIFIC_CONFIG),
            )
            + _descriptor(0x06, b"\x02"),
        ),
    )
    mp4a = _box(
        b"mp4a",
        bytes(6),
        struct.pack(">H", 1),
        bytes(8),
        struct.pack(">HHHH", 1, 16, 0, 0),
        struct.pack(">I", SAMPLE_RATE << 16),
        esds,
    )
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), mp4a),
        _full_box(b"stts", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        _full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )
    minf = _box(
        b"minf",
        _full_box(b"smhd", 0, 0, struct.pack(">HH", 0, 0)),
        _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1))),
        stbl,
    )
    mdia = _box(
        b"mdia",
        _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, SAMPLE_RATE, 0, 0x55C4, 0)),
        _full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, b"soun"), b"SoundHandler\0"),
        minf,
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        7,
        struct.pack(">IIIII", 0, 0, 1, 0, 0),
        bytes(8),
        struct.pack(">hhhH", 0, 0, 0x0100, 0),
        _MATRIX,
        struct.pack(">II", 0, 0),
    )
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, SAMPLE_RATE, 0),
        struct.pack(">IH", 0x10000, 0x0100),
        bytes(10),
        _MATRIX,
        bytes(24),
        struct.pack(">I", 2),
    )
    mvex = _box(
        b"mvex", _full_box(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, AAC_FRAME_SAMPLES, 0, 0))
    )
    ftyp = _box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6mp41")
    return ftyp + _box(b"moov", mvhd, _box(b"trak", tkhd, mdia), mvex)


def mp4_fragment(*, index: int, first_frame: int, frames: int, frame: bytes) -> bytes:
    """One fMP4 fragment (``moof`` + ``mdat``) of ``frames`` raw AAC frames."""

    def moof(data_offset: int) -> bytes:
        # default-base-is-moof, default sample duration and size in tfhd
        tfhd = _full_box(
            b"tfhd",
            0,
            0x020000 | 0x08 | 0x10,
            struct.pack(">III", 1, AAC_FRAME_SAMPLES, len(frame)),
        )
        tfdt = _full_box(b"tfdt", 1, 0, struct.pack(">Q", first_frame * AAC_FRAME_SAMPLES))
        trun = _full_box(b"trun", 0, 0x01, struct.pack(">Ii", frames, data_offset))
        return _box(
            b"moof",
            _full_box(b"mfhd", 0, 0, struct.pack(">I", index + 1)),
            _box(b"traf", tfhd, tfdt, trun),
        )

    size = len(moof(0))
    return moof(size + 8) + _box(b"mdat", frame * frames)
