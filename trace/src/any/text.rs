//! Values and types in WIT value syntax (as `wasmtime run --invoke` writes them), for
//! messages and `wasm-rr inspect`.

use super::{codec::payload_type, Value, WitType};
use std::fmt::Write as _;

/// `value` (of type `ty`) as WIT writes it: `ok(some("hello"))`, `{x: 1, y: 2}`.
pub fn show(ty: &WitType, value: &Value) -> String {
    let mut out = String::new();
    write_value(ty, value, &mut out);
    out
}

/// `values` of `types`, comma-separated.
pub fn show_all(types: &[WitType], values: &[Value]) -> String {
    let mut out = String::new();
    for (i, (ty, value)) in types.iter().zip(values).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(ty, value, &mut out);
    }
    out
}

fn write_value(ty: &WitType, value: &Value, out: &mut String) {
    let _ = match (ty, value) {
        (_, Value::Bool(v)) => write!(out, "{v}"),
        (_, Value::U8(v)) => write!(out, "{v}"),
        (_, Value::U16(v)) => write!(out, "{v}"),
        (_, Value::U32(v)) => write!(out, "{v}"),
        (_, Value::U64(v)) => write!(out, "{v}"),
        (_, Value::S8(v)) => write!(out, "{v}"),
        (_, Value::S16(v)) => write!(out, "{v}"),
        (_, Value::S32(v)) => write!(out, "{v}"),
        (_, Value::S64(v)) => write!(out, "{v}"),
        (_, Value::F32(v)) => write_float(*v as f64, out),
        (_, Value::F64(v)) => write_float(*v, out),
        (_, Value::Char(v)) => match char::from_u32(*v) {
            Some(c) => write!(out, "'{}'", c.escape_debug()),
            None => write!(out, "'\\u{{{v:x}}}'"),
        },
        (_, Value::String(v)) => write!(out, "{v:?}"),
        (WitType::List(element), Value::Bytes(bytes)) => {
            out.push('[');
            for (i, byte) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match **element {
                    WitType::S8 => write!(out, "{}", *byte as i8),
                    _ => write!(out, "{byte}"),
                }
                .ok();
            }
            out.push(']');
            Ok(())
        }
        (WitType::List(element), Value::List(values)) => {
            out.push('[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(element, value, out);
            }
            out.push(']');
            Ok(())
        }
        (WitType::Record(fields), Value::Record(values)) => {
            out.push('{');
            for (i, ((name, ty), value)) in fields.iter().zip(values).enumerate() {
                out.push_str(if i > 0 { ", " } else { "" });
                out.push_str(name);
                out.push_str(": ");
                write_value(ty, value, out);
            }
            out.push('}');
            Ok(())
        }
        (WitType::Tuple(types), Value::Tuple(values)) => {
            out.push('(');
            for (i, (ty, value)) in types.iter().zip(values).enumerate() {
                out.push_str(if i > 0 { ", " } else { "" });
                write_value(ty, value, out);
            }
            out.push(')');
            Ok(())
        }
        (WitType::Flags(names), Value::Flags(bits)) => {
            let set: Vec<&str> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 32 && bits & (1 << i) != 0)
                .map(|(_, name)| name.as_str())
                .collect();
            write!(out, "{{{}}}", set.join(", "))
        }
        (WitType::Enum(names), Value::Enum(case)) => {
            out.push_str(names.get(*case as usize).map_or("?", |name| name));
            Ok(())
        }
        (ty, Value::Variant(case, payload)) => {
            out.push_str(&case_name(ty, *case));
            if let (Some(payload_ty), Some(payload)) = (payload_type(ty, *case), payload) {
                out.push('(');
                write_value(payload_ty, payload, out);
                out.push(')');
            }
            Ok(())
        }
        (_, Value::Own(id)) => write!(out, "own({id})"),
        (_, Value::Borrow(id)) => write!(out, "borrow({id})"),
        _ => write!(out, "?"),
    };
}

fn write_float(v: f64, out: &mut String) -> std::fmt::Result {
    if v.is_nan() {
        write!(out, "nan")
    } else if v.is_infinite() {
        write!(out, "{}inf", if v < 0.0 { "-" } else { "" })
    } else {
        write!(out, "{v:?}")
    }
}

/// The name of case `case` of a variant-like type.
pub fn case_name(ty: &WitType, case: u32) -> String {
    match ty {
        WitType::Option(_) => if case == 0 { "none" } else { "some" }.into(),
        WitType::Result(..) => if case == 0 { "ok" } else { "err" }.into(),
        WitType::Variant(cases) => cases
            .get(case as usize)
            .map_or_else(|| format!("case{case}"), |(name, _)| name.clone()),
        WitType::Enum(names) => names
            .get(case as usize)
            .map_or_else(|| format!("case{case}"), Clone::clone),
        _ => format!("case{case}"),
    }
}

/// The type as WIT writes it, anonymous types spelled out: `result<option<string>, variant
/// {upstream(string), io(string)}>`.
pub fn type_name(ty: &WitType) -> String {
    let list = |types: &mut dyn Iterator<Item = String>| types.collect::<Vec<_>>().join(", ");
    match ty {
        WitType::Bool => "bool".into(),
        WitType::U8 => "u8".into(),
        WitType::U16 => "u16".into(),
        WitType::U32 => "u32".into(),
        WitType::U64 => "u64".into(),
        WitType::S8 => "s8".into(),
        WitType::S16 => "s16".into(),
        WitType::S32 => "s32".into(),
        WitType::S64 => "s64".into(),
        WitType::F32 => "f32".into(),
        WitType::F64 => "f64".into(),
        WitType::Char => "char".into(),
        WitType::String => "string".into(),
        WitType::List(element) => format!("list<{}>", type_name(element)),
        WitType::Record(fields) => format!(
            "record {{{}}}",
            list(
                &mut fields
                    .iter()
                    .map(|(name, ty)| format!("{name}: {}", type_name(ty)))
            )
        ),
        WitType::Tuple(types) => format!("tuple<{}>", list(&mut types.iter().map(type_name))),
        WitType::Flags(names) => format!("flags {{{}}}", names.join(", ")),
        WitType::Enum(names) => format!("enum {{{}}}", names.join(", ")),
        WitType::Variant(cases) => format!(
            "variant {{{}}}",
            list(&mut cases.iter().map(|(name, ty)| match ty {
                Some(ty) => format!("{name}({})", type_name(ty)),
                None => name.clone(),
            }))
        ),
        WitType::Option(some) => format!("option<{}>", type_name(some)),
        WitType::Result(ok, err) => match (ok, err) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", type_name(ok)),
            (None, Some(err)) => format!("result<_, {}>", type_name(err)),
            (Some(ok), Some(err)) => format!("result<{}, {}>", type_name(ok), type_name(err)),
        },
        WitType::Own(resource) => format!("own<{resource}>"),
        WitType::Borrow(resource) => format!("borrow<{resource}>"),
    }
}

/// `name(params) -> result`, the WIT signature of a function of a schema.
pub fn signature(function: &super::Function) -> String {
    let params: Vec<String> = function.params.iter().map(type_name).collect();
    match &function.result {
        Some(result) => format!(
            "{}({}) -> {}",
            function.name,
            params.join(", "),
            type_name(result)
        ),
        None => format!("{}({})", function.name, params.join(", ")),
    }
}

/// The first difference between the schema of a trace and an app's, in a few words.
pub fn schema_difference(trace: &super::Schema, app: &super::Schema) -> String {
    for (i, (recorded, now)) in trace.functions.iter().zip(&app.functions).enumerate() {
        if recorded != now {
            return format!(
                "function {i} was {} and is {}",
                signature(recorded),
                signature(now)
            );
        }
    }
    match trace.functions.len().cmp(&app.functions.len()) {
        std::cmp::Ordering::Less => format!(
            "the app imports {} more functions, the first {}",
            app.functions.len() - trace.functions.len(),
            signature(&app.functions[trace.functions.len()])
        ),
        std::cmp::Ordering::Greater => format!(
            "the app no longer imports {}",
            signature(&trace.functions[app.functions.len()])
        ),
        std::cmp::Ordering::Equal => "none".into(),
    }
}
