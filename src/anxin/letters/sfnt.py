"""Byte-level TrueType subsetting for the letter font (glyf outlines only).

Given a face parsed once (raw glyph records, metrics, global tables), a subset with a
chosen glyph order is written straight as an SFNT: glyphs renumbered in that order
(composite glyphs' component ids rewritten), long ``loca``, full ``hmtx`` for the kept
glyphs, a (3,1) format-4 ``cmap``, ``post`` format 3, and the hinting tables copied.
This is what fontTools' subsetter produces for fpdf2, minus the work of decompiling and
recompiling every table (about 10 ms per letter), and it is deterministic.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

_ARG_WORDS, _HAVE_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80
_COPIED = ("OS/2", "cvt ", "fpgm", "prep", "gasp")


def component_offsets(raw: bytes) -> list[tuple[int, int]]:
    """(offset of the glyph-index field, glyph index) of each component of a composite."""
    if len(raw) < 10 or struct.unpack_from(">h", raw, 0)[0] >= 0:
        return []
    found, offset = [], 10
    while True:
        flags, gid = struct.unpack_from(">HH", raw, offset)
        found.append((offset + 2, gid))
        offset += 4 + (4 if flags & _ARG_WORDS else 2)
        if flags & _HAVE_SCALE:
            offset += 2
        elif flags & _XY_SCALE:
            offset += 4
        elif flags & _TWO_BY_TWO:
            offset += 8
        if not flags & _MORE:
            return found


def composite_components(raw_glyphs: Sequence[bytes]) -> dict[int, tuple[int, ...]]:
    """For each composite glyph of a face, the glyph ids it uses (computed once)."""
    found = {}
    for gid, raw in enumerate(raw_glyphs):
        if len(raw) >= 10 and raw[0] & 0x80:  # numberOfContours < 0
            found[gid] = tuple(g for _, g in component_offsets(raw))
    return found


def glyph_closure(components: Mapping[int, tuple[int, ...]], glyph_ids: set[int]) -> set[int]:
    """``glyph_ids`` plus every glyph their composites use (transitively)."""
    keep = set(glyph_ids)
    pending = [gid for gid in keep if gid in components]
    while pending:
        for part in components[pending.pop()]:
            if part not in keep:
                keep.add(part)
                if part in components:
                    pending.append(part)
    return keep


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}L", padded)
    return sum(words) & 0xFFFFFFFF


def _cmap_format4(char_to_glyph: Mapping[int, int]) -> bytes:
    chars = sorted(c for c in char_to_glyph if c < 0xFFFF)
    ends = [*chars, 0xFFFF]
    starts = [*chars, 0xFFFF]
    deltas = [(char_to_glyph[c] - c) % 0x10000 for c in chars] + [1]
    seg_count = len(ends)
    power = 1 << (seg_count.bit_length() - 1)
    search_range, selector = 2 * power, power.bit_length() - 1
    body = struct.pack(f">{seg_count}H", *ends) + b"\0\0" + \
        struct.pack(f">{seg_count}H", *starts) + struct.pack(f">{seg_count}H", *deltas) + \
        b"\0\0" * seg_count
    header_len = 14
    subtable = struct.pack(">7H", 4, header_len + len(body), 0, 2 * seg_count, search_range,
                           selector, 2 * seg_count - search_range) + body
    return struct.pack(">HHHHL", 0, 1, 3, 1, 12) + subtable


class GlyphBank:
    """One face's glyph records as a subset copies them, made on first use of each glyph
    and kept for the process: the record padded to 4 bytes, its checksum (the ``glyf``
    table's is the sum of its padded records') and its 4-byte ``hmtx`` entry.

    Re-padding, re-packing and re-summing the same ~400 glyphs for every letter was most
    of :func:`build_subset`'s time (0.55 of 2.8 s in a profile of 200 zh-CN letters, ninth
    session). A composite glyph's component ids change with each subset: its record is
    rewritten per subset at the component fields found once here (:meth:`parts`), and its
    checksum moved by each field's change rather than summed again (tenth session: 81
    composites in a zh-CN letter, their parsing and re-summing 4 % of a letter's
    rendering in a profile of 50).
    """

    def __init__(self, glyph_order: Sequence[str], raw_glyphs: Sequence[bytes],
                 metrics: Mapping[str, tuple[int, int]],
                 components: Mapping[int, tuple[int, ...]]) -> None:
        self.components = components
        self._order, self._raw, self._metrics = glyph_order, raw_glyphs, metrics
        self._entries: dict[int, tuple[bytes, int, bytes]] = {}
        self._parts: dict[int, tuple[tuple[int, int], ...]] = {}

    def entry(self, gid: int) -> tuple[bytes, int, bytes]:
        """(padded record, its checksum, its hmtx entry) of glyph ``gid``."""
        found = self._entries.get(gid)
        if found is None:
            raw = self._raw[gid]
            padded = raw + b"\0" * (-len(raw) % 4)
            found = self._entries[gid] = (
                padded, _checksum(padded), struct.pack(">Hh", *self._metrics[self._order[gid]]))
        return found

    def parts(self, gid: int) -> tuple[tuple[int, int], ...]:
        """(offset of the glyph-index field, glyph id) of each component of composite
        glyph ``gid``, in its record."""
        found = self._parts.get(gid)
        if found is None:
            found = self._parts[gid] = tuple(component_offsets(self._raw[gid]))
        return found


def build_subset(*, gids: Sequence[int], bank: GlyphBank,
                 codepoints: Mapping[int, tuple[int, ...]], raw_tables: Mapping[str, bytes],
                 post_header: bytes) -> bytes:
    """The subset font program, its glyph ``i`` being the face's glyph ``gids[i]``
    (``gids[0]`` = 0, .notdef); ``codepoints`` are the face's, by glyph id."""
    new_id = {gid: i for i, gid in enumerate(gids)}
    composites = bank.components
    pieces: list[bytes] = []
    hmtx: list[bytes] = []
    loca, end, glyf_sum = [0], 0, 0
    for gid in gids:
        padded, checksum, metric = bank.entry(gid)
        if gid in composites:  # a composite: its component ids renumbered
            record = bytearray(padded)
            for at, old in bank.parts(gid):
                new = new_id[old]
                struct.pack_into(">H", record, at, new)
                # The field is the high or the low half of a big-endian 32-bit word.
                checksum += (new - old) << (16 if at % 4 == 0 else 0)
            padded = bytes(record)
        pieces.append(padded)
        hmtx.append(metric)
        end += len(padded)
        glyf_sum += checksum
        loca.append(end)
    count = len(gids)
    hhea = bytearray(raw_tables["hhea"])
    struct.pack_into(">H", hhea, 34, count)
    maxp = bytearray(raw_tables["maxp"])
    struct.pack_into(">H", maxp, 4, count)
    head = bytearray(raw_tables["head"])
    struct.pack_into(">L", head, 8, 0)
    struct.pack_into(">h", head, 50, 1)  # long loca offsets
    cmap = _cmap_format4({cp: i for i, gid in enumerate(gids) for cp in codepoints.get(gid, ())})
    tables = {
        "cmap": cmap, "glyf": b"".join(pieces), "head": bytes(head), "hhea": bytes(hhea),
        "hmtx": b"".join(hmtx), "loca": struct.pack(f">{count + 1}L", *loca),
        "maxp": bytes(maxp), "post": struct.pack(">L", 0x00030000) + post_header[4:32],
        **{tag: raw_tables[tag] for tag in _COPIED if tag in raw_tables},
    }
    return _assemble(tables, {"glyf": glyf_sum & 0xFFFFFFFF})


def _assemble(tables: Mapping[str, bytes], sums_known: Mapping[str, int]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">LHHHH", 0x00010000, count, 16 * power, power.bit_length() - 1,
                         16 * count - 16 * power)
    offset = 12 + 16 * count
    records, bodies, sums = [], [], []
    head_at = 0
    for tag in tags:
        data = tables[tag]
        sums.append(sums_known[tag] if tag in sums_known else _checksum(data))
        records.append(struct.pack(">4sLLL", tag.encode("latin-1"), sums[-1], offset,
                                   len(data)))
        if tag == "head":
            head_at = offset
        padded = data + b"\0" * (-len(data) % 4)
        bodies.append(padded)
        offset += len(padded)
    directory = header + b"".join(records)
    font = bytearray(directory + b"".join(bodies))
    # The whole font's checksum is the sum of the directory's and the (padded) tables':
    # summing the tables again would double the cost of the largest step here.
    total = (_checksum(directory) + sum(sums)) & 0xFFFFFFFF
    struct.pack_into(">L", font, head_at + 8, (0xB1B0AFBA - total) & 0xFFFFFFFF)
    return bytes(font)
