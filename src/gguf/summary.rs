//! Short forms of metadata for people and for `--json`: long arrays become "[151936 strings]",
//! long strings are cut for tables, and tensor bytes are totalled by type. Used by `kernlab info`.

use super::file::GgufFile;
use super::value::{tag, Value};
use crate::json::Json;
use crate::GgmlType;

/// Arrays up to this many elements are shown in full.
pub const SMALL_ARRAY: usize = 16;

/// "[151936 strings]", "[128256 i32]", "[2 arrays]".
pub fn array_summary(count: usize, elem_tag: u32) -> String {
    let what = match elem_tag {
        tag::STRING => "strings",
        tag::ARRAY => "arrays",
        t => tag::name(t),
    };
    format!("[{count} {what}]")
}

fn elem_tag(items: &[Value]) -> u32 {
    items.first().map_or(tag::UINT8, Value::tag)
}

/// JSON of a value: numbers as numbers (u64/i64 beyond 2^53 lose precision, as in any JSON
/// reader), arrays longer than `max_array` as their summary string.
pub fn value_json(v: &Value, max_array: usize) -> Json {
    match v {
        Value::Arr(a) if a.len() > max_array => Json::Str(array_summary(a.len(), elem_tag(a))),
        Value::Arr(a) => Json::Arr(a.iter().map(|x| value_json(x, max_array)).collect()),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Bool(b) => Json::Bool(*b),
        Value::F32(x) => Json::Num(*x as f64),
        Value::F64(x) => Json::Num(*x),
        Value::U64(x) => Json::Num(*x as f64),
        Value::I64(x) => Json::Num(*x as f64),
        other => Json::Num(other.as_i64().unwrap_or_default() as f64),
    }
}

/// One-line text of a value for tables: strings quoted with escapes and cut at `max_chars`,
/// arrays longer than `max_array` summarised.
pub fn value_text(v: &Value, max_array: usize, max_chars: usize) -> String {
    match v {
        Value::Arr(a) if a.len() > max_array => array_summary(a.len(), elem_tag(a)),
        Value::Arr(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| value_text(x, max_array, max_chars))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Str(s) => {
            let n = s.chars().count();
            if n > max_chars {
                let head: String = s.chars().take(max_chars).collect();
                format!("{head:?}… ({n} chars)")
            } else {
                format!("{s:?}")
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::F32(x) => format!("{x}"),
        Value::F64(x) => format!("{x}"),
        Value::U64(x) => x.to_string(),
        other => other.as_i64().unwrap_or_default().to_string(),
    }
}

/// Tensor count and bytes of one ggml type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeTotal {
    pub ty: GgmlType,
    pub count: usize,
    pub size_b: u64,
}

/// Totals per type, largest byte total first.
pub fn totals_by_type(f: &GgufFile) -> Vec<TypeTotal> {
    let mut totals: Vec<TypeTotal> = Vec::new();
    for t in &f.tensors {
        match totals.iter_mut().find(|x| x.ty == t.ty) {
            Some(x) => {
                x.count += 1;
                x.size_b += t.size_b;
            }
            None => totals.push(TypeTotal {
                ty: t.ty,
                count: 1,
                size_b: t.size_b,
            }),
        }
    }
    totals.sort_by(|a, b| b.size_b.cmp(&a.size_b).then(a.ty.cmp(&b.ty)));
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let toks = Value::Arr(vec![Value::Str("a".into()); 20]);
        assert_eq!(value_text(&toks, SMALL_ARRAY, 10), "[20 strings]");
        assert_eq!(
            value_json(&toks, SMALL_ARRAY),
            Json::Str("[20 strings]".into())
        );
        let small = Value::Arr(vec![Value::I32(-1), Value::I32(2)]);
        assert_eq!(value_text(&small, SMALL_ARRAY, 10), "[-1, 2]");
        assert_eq!(value_json(&small, 1), Json::Str("[2 i32]".into()));
        assert_eq!(
            value_text(&Value::Str("abcdef".into()), 4, 3),
            "\"abc\"… (6 chars)"
        );
        assert_eq!(value_text(&Value::U8(7), 4, 3), "7");
    }
}
