"""Writes the seed corpus: valid response frames, each prefixed by the selector
byte protocol_fuzzer.cpp uses to pick the decoder and version."""
import pathlib
import struct

out = pathlib.Path(__file__).parent / "corpus" / "protocol_fuzzer"
out.mkdir(parents=True, exist_ok=True)

def uvarint(n):
    b = b""
    while n >= 0x80:
        b += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return b + bytes([n])

def cstr(s):
    return uvarint(len(s) + 1) + s.encode()

def carr(items):
    return uvarint(len(items) + 1) + b"".join(items)

i16 = lambda v: struct.pack(">h", v)
i32 = lambda v: struct.pack(">i", v)
i64 = lambda v: struct.pack(">q", v)
TAGS = b"\x00"

seeds = {
    # ApiVersions v3: header v0 (correlation id only)
    "api_versions_v3": bytes([0 + 16 * 3]) + i32(1) + i16(0) + carr([i16(3) + i16(0) + i16(12) + TAGS]) + i32(0) + TAGS,
    # Metadata v12
    "metadata_v12": bytes([1 + 16 * 3]) + i32(1) + TAGS + i32(0)
    + carr([i32(1) + cstr("127.0.0.1") + i32(9092) + b"\x00" + TAGS])
    + cstr("cid") + i32(1)
    + carr([i16(0) + cstr("position") + bytes(16) + b"\x00"
            + carr([i16(0) + i32(0) + i32(1) + i32(0) + carr([i32(1), i32(2)]) + carr([i32(1)]) + carr([]) + TAGS])
            + i32(-2147483648) + TAGS])
    + TAGS,
    # ListOffsets v7
    "list_offsets_v7": bytes([2 + 16 * 1]) + i32(1) + TAGS + i32(0)
    + carr([cstr("t") + carr([i32(0) + i16(0) + i64(-1) + i64(42) + i32(0) + TAGS]) + TAGS]) + TAGS,
    # DescribeQuorum v1
    "describe_quorum_v1": bytes([9 + 16 * 1]) + i32(1) + TAGS + i16(0)
    + carr([cstr("__cluster_metadata") + carr([i32(0) + i16(0) + i32(1) + i32(3) + i64(10)
            + carr([i32(1) + i64(10) + i64(5) + i64(5) + TAGS]) + carr([]) + TAGS]) + TAGS]) + TAGS,
    # DescribeLogDirs v4
    "describe_log_dirs_v4": bytes([8 + 16 * 2]) + i32(1) + TAGS + i32(0) + i16(0)
    + carr([i16(0) + cstr("/data") + carr([cstr("t") + carr([i32(0) + i64(100) + i64(0) + b"\x00" + TAGS]) + TAGS])
            + i64(1000) + i64(500) + TAGS]) + TAGS,
}
for name, data in seeds.items():
    (out / name).write_bytes(data)
print(f"{len(seeds)} seeds in {out}")
