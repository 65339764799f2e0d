#!/usr/bin/env python3
"""Dump a GGUF file as JSON through gguf-py's GGUFReader: the independent view kernlab's GGUF
tests compare against.

Output: {"version", "alignment", "data_offset", "metadata": [{"key", "type", "value"}],
"tensors": [{"name", "type", "dims", "offset", "size_b"}]}. Integers are written as decimal
strings (JSON numbers would lose u64 precision), floats as numbers, nested arrays as nested lists
(decoded from the field's raw parts, since ReaderField.contents() flattens them).
Tensor dims are in GGUF order (ne[0] first); offset is relative to the data start.

Usage: gguf_dump.py FILE [--max-array N]   (arrays longer than N become {"count", "elem"})
"""
import json
import sys

from gguf import GGUFReader, GGUFValueType

TYPE_NAMES = {
    GGUFValueType.UINT8: "u8", GGUFValueType.INT8: "i8", GGUFValueType.UINT16: "u16",
    GGUFValueType.INT16: "i16", GGUFValueType.UINT32: "u32", GGUFValueType.INT32: "i32",
    GGUFValueType.FLOAT32: "f32", GGUFValueType.BOOL: "bool", GGUFValueType.STRING: "str",
    GGUFValueType.ARRAY: "arr", GGUFValueType.UINT64: "u64", GGUFValueType.INT64: "i64",
    GGUFValueType.FLOAT64: "f64",
}
FLOATS = (GGUFValueType.FLOAT32, GGUFValueType.FLOAT64)


def decode(parts, i, vtype, max_array):
    """Value of type vtype whose parts start at parts[i]; returns (value, next index)."""
    if vtype == GGUFValueType.STRING:
        return str(parts[i + 1].tobytes(), encoding="utf-8"), i + 2
    if vtype == GGUFValueType.ARRAY:
        etype = GGUFValueType(int(parts[i][0]))
        count = int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            v, i = decode(parts, i, etype, max_array)
            items.append(v)
        if max_array is not None and count > max_array:
            return {"count": count, "elem": TYPE_NAMES[etype]}, i
        return items, i
    x = parts[i].tolist()[0]
    if vtype == GGUFValueType.BOOL:
        return bool(x), i + 1
    if vtype in FLOATS:
        return float(x), i + 1
    return str(int(x)), i + 1


def main():
    path = sys.argv[1]
    max_array = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--max-array" else None
    r = GGUFReader(path)
    out = {"metadata": [], "tensors": []}
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            if name == "GGUF.version":
                out["version"] = int(field.parts[0][0])
            continue
        # parts: key length, key bytes, value type, value parts...
        vtype = GGUFValueType(int(field.parts[2][0]))
        value, _ = decode(field.parts, 3, vtype, max_array)
        out["metadata"].append({"key": name, "type": TYPE_NAMES[vtype], "value": value})
    for t in r.tensors:
        out["tensors"].append({
            "name": t.name,
            "type": t.tensor_type.name,
            "dims": [int(d) for d in t.shape],
            "offset": str(int(t.data_offset) - int(r.data_offset)),
            "size_b": str(int(t.n_bytes)),
        })
    out["alignment"] = int(r.alignment)
    out["data_offset"] = int(r.data_offset)
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
