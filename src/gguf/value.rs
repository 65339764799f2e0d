//! GGUF metadata values: the 13 value types of the format (tags from gguf-py
//! `gguf/constants.py` `GGUFValueType`, shared/reference/models-and-quants.md §1).

/// Value-type tags as stored in the file (u32), gguf-py `GGUFValueType`.
pub mod tag {
    pub const UINT8: u32 = 0;
    pub const INT8: u32 = 1;
    pub const UINT16: u32 = 2;
    pub const INT16: u32 = 3;
    pub const UINT32: u32 = 4;
    pub const INT32: u32 = 5;
    pub const FLOAT32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const UINT64: u32 = 10;
    pub const INT64: u32 = 11;
    pub const FLOAT64: u32 = 12;

    /// The smallest number of bytes one value of this type occupies in a file: a string is at
    /// least its u64 length, an array at least its element tag and u64 count. The parser caps
    /// every count by `remaining_bytes / min_size_b` before allocating.
    pub fn min_size_b(t: u32) -> Option<u64> {
        Some(match t {
            UINT8 | INT8 | BOOL => 1,
            UINT16 | INT16 => 2,
            UINT32 | INT32 | FLOAT32 => 4,
            UINT64 | INT64 | FLOAT64 => 8,
            STRING => 8,
            ARRAY => 12,
            _ => return None,
        })
    }

    /// gguf-py's name of a tag.
    pub fn name(t: u32) -> &'static str {
        match t {
            UINT8 => "u8",
            INT8 => "i8",
            UINT16 => "u16",
            INT16 => "i16",
            UINT32 => "u32",
            INT32 => "i32",
            FLOAT32 => "f32",
            BOOL => "bool",
            STRING => "str",
            ARRAY => "arr",
            UINT64 => "u64",
            INT64 => "i64",
            FLOAT64 => "f64",
            _ => "unknown",
        }
    }
}

/// One metadata value. Arrays hold values of one element type (nested arrays may differ inside).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    Arr(Vec<Value>),
}

impl Value {
    /// Any integer width, when non-negative (keys like `block_count` are u32 in one file, u64 or
    /// i32 in another: accept them all).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(x) => Some(x as u64),
            Value::U16(x) => Some(x as u64),
            Value::U32(x) => Some(x as u64),
            Value::U64(x) => Some(x),
            Value::I8(x) => u64::try_from(x).ok(),
            Value::I16(x) => u64::try_from(x).ok(),
            Value::I32(x) => u64::try_from(x).ok(),
            Value::I64(x) => u64::try_from(x).ok(),
            _ => None,
        }
    }

    /// Any integer width that fits an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I8(x) => Some(x as i64),
            Value::I16(x) => Some(x as i64),
            Value::I32(x) => Some(x as i64),
            Value::I64(x) => Some(x),
            Value::U64(x) => i64::try_from(x).ok(),
            _ => self.as_u64().map(|x| x as i64),
        }
    }

    /// F32, or F64 narrowed.
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            Value::F32(x) => Some(x),
            Value::F64(x) => Some(x as f32),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_arr(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// The tag this value is stored under.
    pub fn tag(&self) -> u32 {
        match self {
            Value::U8(_) => tag::UINT8,
            Value::I8(_) => tag::INT8,
            Value::U16(_) => tag::UINT16,
            Value::I16(_) => tag::INT16,
            Value::U32(_) => tag::UINT32,
            Value::I32(_) => tag::INT32,
            Value::F32(_) => tag::FLOAT32,
            Value::Bool(_) => tag::BOOL,
            Value::Str(_) => tag::STRING,
            Value::Arr(_) => tag::ARRAY,
            Value::U64(_) => tag::UINT64,
            Value::I64(_) => tag::INT64,
            Value::F64(_) => tag::FLOAT64,
        }
    }

    /// "u32", "str", "arr", ...
    pub fn type_name(&self) -> &'static str {
        tag::name(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_widths_and_signs() {
        assert_eq!(Value::I32(7).as_u64(), Some(7));
        assert_eq!(Value::I8(-1).as_u64(), None);
        assert_eq!(Value::U64(u64::MAX).as_i64(), None);
        assert_eq!(Value::U16(9).as_i64(), Some(9));
        assert_eq!(Value::F32(1.0).as_u64(), None);
        assert_eq!(Value::F64(0.5).as_f32(), Some(0.5));
        assert_eq!(Value::Bool(true).type_name(), "bool");
        assert_eq!(Value::Arr(vec![]).tag(), tag::ARRAY);
    }
}
