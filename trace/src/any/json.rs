//! Values in JSON traces, named by their types: records as objects, cases by name,
//! byte lists as the trace's other bytes are (a string when UTF-8).
//!
//! `{"call":"acme:plugin/host#roll","args":[6],"result":4}`

use super::{codec::payload_type, text::case_name, Function, Value, WitType, MAX_DEPTH};
use crate::Bytes;
use serde_json::{json, Value as Json};

/// One recorded call as its JSON line, in this order: `call`, `args`, `result`.
#[derive(serde::Serialize)]
pub struct CallLine {
    call: String,
    args: Vec<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Json>,
}

/// One recorded call as its JSON line.
pub fn call_to_json(function: &Function, args: &[Value], result: Option<&Value>) -> CallLine {
    CallLine {
        call: function.name.clone(),
        args: function
            .params
            .iter()
            .zip(args)
            .map(|(ty, value)| to_json(ty, value))
            .collect(),
        result: match (&function.result, result) {
            (Some(ty), Some(result)) => Some(to_json(ty, result)),
            _ => None,
        },
    }
}

pub fn to_json(ty: &WitType, value: &Value) -> Json {
    match (ty, value) {
        (_, Value::Bool(v)) => json!(v),
        (_, Value::U8(v)) => json!(v),
        (_, Value::U16(v)) => json!(v),
        (_, Value::U32(v)) => json!(v),
        (_, Value::U64(v)) => json!(v),
        (_, Value::S8(v)) => json!(v),
        (_, Value::S16(v)) => json!(v),
        (_, Value::S32(v)) => json!(v),
        (_, Value::S64(v)) => json!(v),
        (_, Value::F32(v)) => float(*v as f64),
        (_, Value::F64(v)) => float(*v),
        (_, Value::Char(v)) => json!(char::from_u32(*v).unwrap_or('\u{fffd}').to_string()),
        (_, Value::String(v)) => json!(v),
        (_, Value::Bytes(v)) => serde_json::to_value(Bytes(v.clone())).unwrap_or(Json::Null),
        (WitType::List(element), Value::List(values)) => {
            Json::Array(values.iter().map(|value| to_json(element, value)).collect())
        }
        (WitType::Record(fields), Value::Record(values)) => Json::Object(
            fields
                .iter()
                .zip(values)
                .map(|((name, ty), value)| (name.clone(), to_json(ty, value)))
                .collect(),
        ),
        (WitType::Tuple(types), Value::Tuple(values)) => Json::Array(
            types
                .iter()
                .zip(values)
                .map(|(ty, value)| to_json(ty, value))
                .collect(),
        ),
        (WitType::Flags(names), Value::Flags(bits)) => Json::Array(
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 32 && bits & (1 << i) != 0)
                .map(|(_, name)| json!(name))
                .collect(),
        ),
        (ty, Value::Enum(case)) => json!(case_name(ty, *case)),
        (ty, Value::Variant(case, payload)) => {
            let name = case_name(ty, *case);
            match (payload_type(ty, *case), payload) {
                (Some(payload_ty), Some(payload)) => json!({ name: to_json(payload_ty, payload) }),
                _ => json!(name),
            }
        }
        (_, Value::Own(id)) => json!({ "own": id }),
        (_, Value::Borrow(id)) => json!({ "borrow": id }),
        _ => Json::Null,
    }
}

fn float(v: f64) -> Json {
    if v.is_nan() {
        json!("nan")
    } else if v.is_infinite() {
        json!(if v < 0.0 { "-inf" } else { "inf" })
    } else {
        json!(v)
    }
}

/// Reads a value of type `ty` from its JSON.
pub fn from_json(ty: &WitType, json: &Json) -> Result<Value, String> {
    value(ty, json, 0)
}

fn value(ty: &WitType, json: &Json, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("values nested deeper than {MAX_DEPTH}"));
    }
    let wrong = || format!("{} is not a {}", short(json), super::text::type_name(ty));
    let unsigned = |most: u64| json.as_u64().filter(|v| *v <= most).ok_or_else(wrong);
    let signed = |least: i64, most: i64| {
        json.as_i64()
            .filter(|v| (least..=most).contains(v))
            .ok_or_else(wrong)
    };
    Ok(match ty {
        WitType::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        WitType::U8 => Value::U8(unsigned(u8::MAX as u64)? as u8),
        WitType::U16 => Value::U16(unsigned(u16::MAX as u64)? as u16),
        WitType::U32 => Value::U32(unsigned(u32::MAX as u64)? as u32),
        WitType::U64 => Value::U64(unsigned(u64::MAX)?),
        WitType::S8 => Value::S8(signed(i8::MIN as i64, i8::MAX as i64)? as i8),
        WitType::S16 => Value::S16(signed(i16::MIN as i64, i16::MAX as i64)? as i16),
        WitType::S32 => Value::S32(signed(i32::MIN as i64, i32::MAX as i64)? as i32),
        WitType::S64 => Value::S64(signed(i64::MIN, i64::MAX)?),
        WitType::F32 => Value::F32(float_from(json).ok_or_else(wrong)? as f32),
        WitType::F64 => Value::F64(float_from(json).ok_or_else(wrong)?),
        WitType::Char => {
            let text = json.as_str().ok_or_else(wrong)?;
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Value::Char(c as u32),
                _ => return Err(wrong()),
            }
        }
        WitType::String => Value::String(json.as_str().ok_or_else(wrong)?.to_string()),
        WitType::List(element) if matches!(**element, WitType::U8 | WitType::S8) => {
            let bytes: Bytes = serde_json::from_value(json.clone()).map_err(|_| wrong())?;
            Value::Bytes(bytes.0)
        }
        WitType::List(element) => Value::List(
            json.as_array()
                .ok_or_else(wrong)?
                .iter()
                .map(|json| value(element, json, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        WitType::Record(fields) => {
            let object = json.as_object().ok_or_else(wrong)?;
            if let Some(extra) = object
                .keys()
                .find(|key| !fields.iter().any(|(name, _)| name == *key))
            {
                return Err(format!(
                    "{} has no field {extra:?}",
                    super::text::type_name(ty)
                ));
            }
            Value::Record(
                fields
                    .iter()
                    .map(|(name, ty)| match object.get(name) {
                        Some(json) => value(ty, json, depth + 1),
                        None => Err(format!("field {name:?} is missing")),
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        WitType::Tuple(types) => {
            let array = json
                .as_array()
                .filter(|a| a.len() == types.len())
                .ok_or_else(wrong)?;
            Value::Tuple(
                types
                    .iter()
                    .zip(array)
                    .map(|(ty, json)| value(ty, json, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        WitType::Flags(names) => {
            let mut bits = 0u32;
            for flag in json.as_array().ok_or_else(wrong)? {
                let position = flag
                    .as_str()
                    .and_then(|flag| names.iter().position(|name| name == flag))
                    .filter(|position| *position < 32)
                    .ok_or_else(|| format!("{} is not one of the flags {names:?}", short(flag)))?;
                bits |= 1 << position;
            }
            Value::Flags(bits)
        }
        WitType::Enum(names) => {
            let name = json.as_str().ok_or_else(wrong)?;
            let case = names.iter().position(|n| n == name).ok_or_else(wrong)?;
            Value::Enum(case as u32)
        }
        WitType::Option(_) | WitType::Result(..) | WitType::Variant(_) => {
            let (name, payload) = match json {
                Json::String(name) => (name.as_str(), None),
                Json::Object(object) if object.len() == 1 => {
                    let (name, payload) = object.iter().next().ok_or_else(wrong)?;
                    (name.as_str(), Some(payload))
                }
                _ => return Err(wrong()),
            };
            let cases = match ty {
                WitType::Variant(cases) => cases.len(),
                _ => 2,
            };
            let case = (0..cases as u32)
                .find(|case| case_name(ty, *case) == name)
                .ok_or_else(wrong)?;
            let payload = match (payload_type(ty, case), payload) {
                (Some(payload_ty), Some(payload)) => {
                    Some(Box::new(value(payload_ty, payload, depth + 1)?))
                }
                (None, None) => None,
                (Some(_), None) => return Err(format!("case {name} needs its payload")),
                (None, Some(_)) => return Err(format!("case {name} has no payload")),
            };
            Value::Variant(case, payload)
        }
        WitType::Own(_) => Value::Own(handle(json, "own").ok_or_else(wrong)?),
        WitType::Borrow(_) => Value::Borrow(handle(json, "borrow").ok_or_else(wrong)?),
    })
}

/// The first key of a JSON object's text, if it has no escapes.
fn first_key(line: &[u8]) -> Option<&[u8]> {
    let trimmed = |bytes: &'_ [u8]| -> usize {
        bytes
            .iter()
            .position(|byte| !byte.is_ascii_whitespace())
            .unwrap_or(bytes.len())
    };
    let mut at = trimmed(line);
    if line.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    at += trimmed(&line[at..]);
    if line.get(at) != Some(&b'"') {
        return None;
    }
    let key = &line[at + 1..];
    let end = key.iter().position(|&byte| byte == b'"')?;
    Some(&key[..end])
}

fn handle(json: &Json, kind: &str) -> Option<u32> {
    json.get(kind)?.as_u64()?.try_into().ok()
}

fn float_from(json: &Json) -> Option<f64> {
    match json.as_str() {
        Some("nan") => Some(f64::NAN),
        Some("inf") => Some(f64::INFINITY),
        Some("-inf") => Some(f64::NEG_INFINITY),
        Some(_) => None,
        None => json.as_f64(),
    }
}

fn short(json: &Json) -> String {
    let text = json.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

impl super::Calls {
    /// A generic call as its JSON line (by the schema), `None` for other events.
    pub fn to_json_line(&self, event: &crate::Event) -> Option<CallLine> {
        let crate::Event::GenericCall(call) = event else {
            return None;
        };
        let call = self.decode(call).ok()?;
        Some(call_to_json(
            call.function,
            &call.args,
            call.result.as_ref(),
        ))
    }

    /// Reads a JSON line that is a generic call (`{"call":"…",…}`); `None` if it is not
    /// one.
    pub fn from_json_line(&self, line: &[u8]) -> Option<Result<crate::Event, String>> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Line {
            call: String,
            #[serde(default)]
            args: Vec<Json>,
            result: Option<Json>,
        }
        // Most lines are other events, each an object with one key, the event's name: a
        // failed parse (its error message made) per line would cost a replay more than the
        // events themselves.
        if !matches!(first_key(line), Some(b"call" | b"args" | b"result")) {
            return None;
        }
        let line: Line = serde_json::from_slice(line).ok()?;
        Some(self.call_from_json(line.call, line.args, line.result))
    }

    fn call_from_json(
        &self,
        name: String,
        args: Vec<Json>,
        result: Option<Json>,
    ) -> Result<crate::Event, String> {
        let schema = self
            .schema
            .as_ref()
            .ok_or("a generic call before the schema of generic calls")?;
        let index = schema
            .index_of(&name)
            .ok_or_else(|| format!("{name} is not in the trace's schema"))?;
        let function = schema.function(index)?;
        if args.len() != function.params.len() {
            return Err(format!(
                "{name} takes {} arguments, not {}",
                function.params.len(),
                args.len()
            ));
        }
        let mut encoded_args = Vec::new();
        for (i, (ty, json)) in function.params.iter().zip(&args).enumerate() {
            let value = from_json(ty, json).map_err(|e| format!("{name}: argument {i}: {e}"))?;
            super::codec::encode(ty, &value, &mut encoded_args);
        }
        let mut encoded_result = Vec::new();
        match (&function.result, result) {
            (Some(ty), Some(json)) => {
                let value = from_json(ty, &json).map_err(|e| format!("{name}: result: {e}"))?;
                super::codec::encode(ty, &value, &mut encoded_result);
            }
            (Some(_), None) => return Err(format!("{name}: its result is missing")),
            (None, Some(_)) => return Err(format!("{name} has no result")),
            (None, None) => {}
        }
        Ok(crate::Event::GenericCall(crate::GenericCall {
            function: index,
            args: crate::Bytes(encoded_args),
            result: crate::Bytes(encoded_result),
        }))
    }
}
