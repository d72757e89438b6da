"""The msgpack subset serf's RPC speaks (maps, strings, binaries, integers, booleans, nil, arrays, floats).

Written here so the harness needs nothing beyond Python's standard library.
"""
import struct


def encode(value) -> bytes:
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value, out: bytearray) -> None:
    if value is None:
        out.append(0xC0)
    elif value is True:
        out.append(0xC3)
    elif value is False:
        out.append(0xC2)
    elif isinstance(value, int):
        if 0 <= value < 0x80:
            out.append(value)
        elif 0 <= value <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", value)
        elif value >= 0:
            out += b"\xcf" + struct.pack(">Q", value)
        else:
            out += b"\xd3" + struct.pack(">q", value)
    elif isinstance(value, str):
        data = value.encode()
        if len(data) < 32:
            out.append(0xA0 | len(data))
        elif len(data) < 0x10000:
            out += b"\xda" + struct.pack(">H", len(data))
        else:
            out += b"\xdb" + struct.pack(">I", len(data))
        out += data
    elif isinstance(value, (bytes, bytearray)):
        if len(value) < 0x100:
            out += b"\xc4" + bytes([len(value)])
        elif len(value) < 0x10000:
            out += b"\xc5" + struct.pack(">H", len(value))
        else:
            out += b"\xc6" + struct.pack(">I", len(value))
        out += value
    elif isinstance(value, dict):
        if len(value) < 16:
            out.append(0x80 | len(value))
        else:
            out += b"\xde" + struct.pack(">H", len(value))
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
    elif isinstance(value, (list, tuple)):
        if len(value) < 16:
            out.append(0x90 | len(value))
        else:
            out += b"\xdc" + struct.pack(">H", len(value))
        for item in value:
            _encode(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


class NeedMore(Exception):
    """The buffer ends inside a value: read more bytes and decode again from the same offset."""


_FIXED = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
          0xCA: ">f", 0xCB: ">d"}
_LENGTH = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}


def decode(buffer, offset: int = 0):
    """Decodes one value at `offset`; returns (value, next offset) or raises NeedMore."""
    def take(count):
        nonlocal offset
        if offset + count > len(buffer):
            raise NeedMore()
        chunk = bytes(buffer[offset:offset + count])
        offset += count
        return chunk

    def value():
        nonlocal offset
        tag = take(1)[0]
        if tag < 0x80:
            return tag
        if tag >= 0xE0:
            return tag - 0x100
        if 0x80 <= tag <= 0x8F:
            return mapping(tag & 0x0F)
        if 0x90 <= tag <= 0x9F:
            return [value() for _ in range(tag & 0x0F)]
        if 0xA0 <= tag <= 0xBF:
            return text(take(tag & 0x1F))
        if tag == 0xC0:
            return None
        if tag == 0xC2:
            return False
        if tag == 0xC3:
            return True
        if tag in _FIXED:
            form = _FIXED[tag]
            return struct.unpack(form, take(struct.calcsize(form)))[0]
        if tag in _LENGTH:
            form = _LENGTH[tag]
            data = take(struct.unpack(form, take(struct.calcsize(form)))[0])
            return text(data) if tag >= 0xD9 else data
        if tag == 0xDC:
            return [value() for _ in range(struct.unpack(">H", take(2))[0])]
        if tag == 0xDD:
            return [value() for _ in range(struct.unpack(">I", take(4))[0])]
        if tag == 0xDE:
            return mapping(struct.unpack(">H", take(2))[0])
        if tag == 0xDF:
            return mapping(struct.unpack(">I", take(4))[0])
        raise ValueError(f"msgpack tag 0x{tag:02x} is not supported")

    def mapping(count):
        result = {}
        for _ in range(count):
            key = value()
            result[key if not isinstance(key, bytes) else key.decode(errors="replace")] = value()
        return result

    def text(data):
        # Serf's codec writes strings and byte slices alike as raw strings: keep undecodable ones as bytes.
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data

    return value(), offset
