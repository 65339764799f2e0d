//! The GGUF parser: header, key/value pairs, tensor infos, then the checks that tie the tensor
//! infos to the bytes of the file. Layout and tags: gguf-py `gguf/constants.py`
//! (GGUF_MAGIC, GGUF_VERSION, GGUF_DEFAULT_ALIGNMENT, GGUFValueType) and `gguf/gguf_reader.py`;
//! shared/reference/models-and-quants.md §1.
//!
//! Every count read from the file is checked against the bytes left before anything is
//! allocated, so a corrupt count fails cleanly instead of reserving gigabytes.

use super::cursor::Cursor;
use super::tensor::{align_up, checked_size_b, TensorInfo, MAX_DIMS};
use super::value::{tag, Value};
use crate::{Error, GgmlType};
use std::collections::{HashMap, HashSet};

/// b"GGUF" read as a little-endian u32 (gguf-py GGUF_MAGIC).
pub const GGUF_MAGIC: u32 = 0x4655_4747;
/// GGUF_DEFAULT_ALIGNMENT in gguf-py constants.py.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// The key that overrides the alignment (gguf-py Keys.General.ALIGNMENT).
pub const KEY_ALIGNMENT: &str = "general.alignment";
/// Deepest nesting of arrays accepted (the format has no limit; real files nest at most 2).
pub const MAX_ARRAY_DEPTH: usize = 8;
/// The largest up-front reservation for one array; bigger arrays grow as their elements really
/// parse, so memory follows bytes actually present.
const MAX_RESERVE: u64 = 1 << 20;
/// Smallest key/value pair: empty key (u64 length), tag u32, one byte of value.
const MIN_KV_B: u64 = 8 + 4 + 1;
/// Smallest tensor info: empty name, n_dims u32, one dim u64, type u32, offset u64.
const MIN_TENSOR_INFO_B: u64 = 8 + 4 + 8 + 4 + 8;

/// What the parser finds in a file.
pub(crate) struct Parsed {
    pub version: u32,
    pub alignment: u64,
    pub data_offset: u64,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub tensor_index: HashMap<String, usize>,
}

pub(crate) fn parse(buf: &[u8], file: &str) -> Result<Parsed, Error> {
    let mut cur = Cursor::new(buf, file);

    let magic = cur.u32("header.magic")?;
    if magic != GGUF_MAGIC {
        return Err(cur.err(
            "header.magic",
            0,
            format!(
                "magic is {:02x?}, expected \"GGUF\" (not a GGUF file)",
                magic.to_le_bytes()
            ),
        ));
    }
    let version = cur.u32("header.version")?;
    check_version(&cur, version)?;

    let n_tensors_at = cur.pos;
    let n_tensors = cur.u64("header.tensor_count")?;
    let n_kv_at = cur.pos;
    let n_kv = cur.u64("header.kv_count")?;
    if n_kv > cur.remaining() / MIN_KV_B {
        return Err(cur.err(
            "header.kv_count",
            n_kv_at,
            format!(
                "{n_kv} key/value pairs cannot fit in the {} bytes left",
                cur.remaining()
            ),
        ));
    }
    if n_tensors > cur.remaining() / MIN_TENSOR_INFO_B {
        return Err(cur.err(
            "header.tensor_count",
            n_tensors_at,
            format!(
                "{n_tensors} tensor infos cannot fit in the {} bytes left",
                cur.remaining()
            ),
        ));
    }

    let (metadata, alignment) = read_kvs(&mut cur, n_kv)?;
    let (tensors, tensor_index, offset_fields) = read_tensor_infos(&mut cur, n_tensors, alignment)?;

    let data_offset = align_up(cur.pos as u64, alignment)
        .ok_or_else(|| cur.err("data_offset", cur.pos, "aligned data start overflows u64"))?;
    check_tensor_data(&cur, &tensors, &offset_fields, data_offset)?;

    Ok(Parsed {
        version,
        alignment,
        data_offset,
        metadata,
        tensors,
        tensor_index,
    })
}

fn check_version(cur: &Cursor, version: u32) -> Result<(), Error> {
    let msg = match version {
        2 | 3 => return Ok(()),
        1 => "GGUF v1 is not supported (v2 and v3 are); convert the file with a current llama.cpp".to_string(),
        v if matches!(v.swap_bytes(), 1..=3) => format!(
            "version reads {v:#010x}, i.e. {} byte-swapped: a big-endian GGUF, which is not supported",
            v.swap_bytes()
        ),
        v => format!("unknown GGUF version {v} (v2 and v3 are supported)"),
    };
    Err(cur.err("header.version", 4, msg))
}

fn read_kvs(cur: &mut Cursor, n_kv: u64) -> Result<(Vec<(String, Value)>, u64), Error> {
    let mut metadata = Vec::with_capacity(n_kv as usize);
    let mut seen: HashSet<String> = HashSet::with_capacity(n_kv as usize);
    let mut alignment = DEFAULT_ALIGNMENT;
    for i in 0..n_kv {
        let key_at = cur.pos;
        let key = cur.string(&format!("kv[{i}].key"))?;
        if !seen.insert(key.clone()) {
            return Err(cur.err(
                &format!("kv[{i}].key"),
                key_at,
                format!("duplicate key '{key}'"),
            ));
        }
        let field = format!("kv[{i}] {key}");
        let ty_at = cur.pos;
        let ty = cur.u32(&field)?;
        let value_at = cur.pos;
        let v = read_value(cur, ty, ty_at, &field, 0)?;
        if key == KEY_ALIGNMENT {
            alignment = match v.as_u64() {
                Some(a) if a.is_power_of_two() => a,
                _ => {
                    return Err(cur.err(
                        &field,
                        value_at,
                        format!("alignment {v:?} is not a non-zero power of two"),
                    ))
                }
            };
        }
        metadata.push((key, v));
    }
    Ok((metadata, alignment))
}

/// One value of type `ty` (whose tag was read at `ty_at`).
fn read_value(
    cur: &mut Cursor,
    ty: u32,
    ty_at: usize,
    field: &str,
    depth: usize,
) -> Result<Value, Error> {
    Ok(match ty {
        tag::UINT8 => Value::U8(cur.u8(field)?),
        tag::INT8 => Value::I8(cur.u8(field)? as i8),
        tag::UINT16 => Value::U16(cur.u16(field)?),
        tag::INT16 => Value::I16(cur.u16(field)? as i16),
        tag::UINT32 => Value::U32(cur.u32(field)?),
        tag::INT32 => Value::I32(cur.u32(field)? as i32),
        tag::FLOAT32 => Value::F32(f32::from_bits(cur.u32(field)?)),
        tag::UINT64 => Value::U64(cur.u64(field)?),
        tag::INT64 => Value::I64(cur.u64(field)? as i64),
        tag::FLOAT64 => Value::F64(f64::from_bits(cur.u64(field)?)),
        tag::BOOL => {
            let at = cur.pos;
            match cur.u8(field)? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(cur.err(field, at, format!("bool byte is {b}, not 0 or 1"))),
            }
        }
        tag::STRING => Value::Str(cur.string(field)?),
        tag::ARRAY => {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(cur.err(
                    field,
                    ty_at,
                    format!("arrays nested deeper than {MAX_ARRAY_DEPTH}"),
                ));
            }
            let elem_at = cur.pos;
            let elem_ty = cur.u32(field)?;
            let Some(min_b) = tag::min_size_b(elem_ty) else {
                return Err(cur.err(
                    field,
                    elem_at,
                    format!("unknown array element type {elem_ty}"),
                ));
            };
            let count_at = cur.pos;
            let count = cur.u64(field)?;
            if count > cur.remaining() / min_b {
                return Err(cur.err(
                    field,
                    count_at,
                    format!(
                        "array of {count} {} runs past the end of the file ({} bytes left)",
                        tag::name(elem_ty),
                        cur.remaining()
                    ),
                ));
            }
            let mut items = Vec::with_capacity(count.min(MAX_RESERVE) as usize);
            for _ in 0..count {
                items.push(read_value(cur, elem_ty, elem_at, field, depth + 1)?);
            }
            Value::Arr(items)
        }
        t => return Err(cur.err(field, ty_at, format!("unknown value type {t}"))),
    })
}

type TensorInfos = (Vec<TensorInfo>, HashMap<String, usize>, Vec<usize>);

/// Tensor infos, with the file offset of each info's `offset` field (for later errors).
fn read_tensor_infos(cur: &mut Cursor, n: u64, alignment: u64) -> Result<TensorInfos, Error> {
    let mut tensors = Vec::with_capacity(n as usize);
    let mut index = HashMap::with_capacity(n as usize);
    let mut offset_fields = Vec::with_capacity(n as usize);
    for i in 0..n {
        let name_at = cur.pos;
        let name = cur.string(&format!("tensor[{i}].name"))?;
        if index.contains_key(&name) {
            return Err(cur.err(
                &format!("tensor[{i}].name"),
                name_at,
                format!("duplicate tensor name '{name}'"),
            ));
        }
        let field = |what: &str| format!("tensor[{i}] {name}.{what}");
        let n_dims_at = cur.pos;
        let n_dims = cur.u32(&field("n_dims"))?;
        if n_dims == 0 || n_dims as usize > MAX_DIMS {
            return Err(cur.err(
                &field("n_dims"),
                n_dims_at,
                format!("n_dims {n_dims} not in 1..={MAX_DIMS}"),
            ));
        }
        let dims_at = cur.pos;
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(cur.u64(&field("dims"))?);
        }
        let ty_at = cur.pos;
        let ty_id = cur.u32(&field("type"))?;
        let Some(ty) = GgmlType::from_id(ty_id) else {
            return Err(cur.err(
                &field("type"),
                ty_at,
                format!("unknown ggml type id {ty_id}"),
            ));
        };
        let offset_at = cur.pos;
        let offset = cur.u64(&field("offset"))?;
        let size_b = checked_size_b(&dims, ty).map_err(|m| cur.err(&field("dims"), dims_at, m))?;
        if !offset.is_multiple_of(alignment) {
            return Err(cur.err(
                &field("offset"),
                offset_at,
                format!("offset {offset} is not a multiple of the alignment {alignment}"),
            ));
        }
        index.insert(name.clone(), tensors.len());
        offset_fields.push(offset_at);
        tensors.push(TensorInfo {
            name,
            dims,
            ty,
            offset,
            size_b,
        });
    }
    Ok((tensors, index, offset_fields))
}

/// Every tensor's bytes lie inside the file, and no two tensors overlap.
fn check_tensor_data(
    cur: &Cursor,
    tensors: &[TensorInfo],
    offset_fields: &[usize],
    data_offset: u64,
) -> Result<(), Error> {
    let file_len = cur.buf.len() as u64;
    let field = |i: usize| format!("tensor[{i}] {}.offset", tensors[i].name);
    for (i, t) in tensors.iter().enumerate() {
        let end = data_offset
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.size_b));
        match end {
            Some(end) if end <= file_len => {}
            _ => {
                return Err(cur.err(
                    &field(i),
                    offset_fields[i],
                    format!(
                        "data [{data_offset} + {}, +{} bytes) runs past the end of the {file_len}-byte file",
                        t.offset, t.size_b
                    ),
                ))
            }
        }
    }
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| tensors[i].offset);
    for w in order.windows(2) {
        let (a, b) = (&tensors[w[0]], &tensors[w[1]]);
        // In range: both ends were checked against the file length above.
        if a.offset + a.size_b > b.offset {
            return Err(cur.err(
                &field(w[1]),
                offset_fields[w[1]],
                format!(
                    "data at {} overlaps '{}' ([{}, {}))",
                    b.offset,
                    a.name,
                    a.offset,
                    a.offset + a.size_b
                ),
            ));
        }
    }
    Ok(())
}
