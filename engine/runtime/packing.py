"""Packing of the values nothing queries inside (a dossier's engine state and legal clock, what a paper was
filled with): zlib with a preset dictionary (RFC 1950, FDICT) of the keys and shapes those values repeat.

Without it each value pays for the first use of every key in full; with it those are back-references into
the dictionary: ~200 bytes less for an engine state, ~35 for a legal clock, ~140 for a paper's facts, so that
three dossier rows fit a SQLite page instead of two. A packed value names its dictionary by Adler-32 in its
header, so a released dictionary is never edited (the rows packed with it need its exact bytes): a better one
is appended to DICTIONARIES and packs from then on, while every earlier one still reads. Values packed without
a dictionary (before migration 0014) read as well.
"""

from __future__ import annotations

import zlib

# 1: the shapes of engine.onestop's paper facts, engine.legal_time's clock and SpiffWorkflow 3.2's serializer,
# the most frequent last (nearest to the data, so the shortest distances).
DICTIONARY_1 = "".join((
    '{"extra":{"applicant":{"name":"","address":"","phone":"","email":"","id_number":""},"procedure":"",'
    '"checklist":[{"label":"","form":"","note":""}],"deadline":"","appointment_at":"","delivery":"",'
    '"officer":"","missing":[],"note":"","fee":"0","fee_lines":[{"label":"","amount":""}],"reasons":[],'
    '"devices":[],"goods":[],"valid_until":null,"reception_count":1,"copies":"","legal_basis":[],'
    '"signer":{"capacity":"","title":"","name":""},"result":{"holder_name":"","birth_date":"","issued_on":"",'
    '"job":"","number":""},"phases":[],"new_appointment_at":"","reason":"","verify_url":"","signed":false}}',
    '{"total":null,"events":[{"event":"pause","at":"","reason":""},{"event":"resume","at":""},'
    '{"event":"start","at":"+00:00","phase":"","duration":":working-days"},{"event":"finish","at":"+00:00",'
    '"phase":""}],"dates":[{"id":0,"event":"received","task":"","at":"","recorded_at":"+00:00"}],'
    '"corrections":[],"others":{}}',
    '{"value":"","typename":"Decimal"}{"value":"","typename":"date"}"typename":"BpmnSubWorkflow"',
    '{"data":{},"correlations":{},"last_task":"","success":true,"completed":false,"tasks":{"":{"id":"",'
    '"parent":"","children":[""],"last_state_change":17,"state":64,"task_spec":"","triggered":false,'
    '"internal_data":{},"data":{},"delta":{"updates":{},"deletions":[]},"typename":"Task"}},"root":"",'
    '"subprocesses":{},"bpmn_events":[]}',
)).encode("utf-8")

DICTIONARIES = (DICTIONARY_1,)
_PACKING = DICTIONARIES[-1]
_BY_ID = {zlib.adler32(d): d for d in DICTIONARIES}
_FDICT = 0x20  # RFC 1950: the second header byte's flag for "a dictionary id follows"


def pack(data: bytes) -> bytes:
    """`data` zlib-compressed at level 6 with the current dictionary, a window just the size of both and a
    small hash table: setting up zlib's default 256 KB of state is most of the cost at these sizes (a legal
    clock: 7 µs, not 45; an engine state: 28, not 63)."""
    window = max(9, min(15, (len(_PACKING) + len(data)).bit_length()))
    packer = zlib.compressobj(6, zlib.DEFLATED, window, 4, zdict=_PACKING)
    return packer.compress(data) + packer.flush()


def unpack(value: bytes) -> bytes:
    if len(value) > 1 and value[1] & _FDICT:
        dictionary = _BY_ID.get(int.from_bytes(value[2:6], "big"))
        if dictionary is None:
            raise ValueError("packed with a dictionary this version does not know: written by a newer motcua?")
        unpacker = zlib.decompressobj(zdict=dictionary)
        data = unpacker.decompress(value) + unpacker.flush()
        if not unpacker.eof:
            raise zlib.error("incomplete or truncated stream")
        return data
    return zlib.decompress(value)
