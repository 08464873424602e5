//! Calls of any interface: what the generic interposer records for an import that the
//! WASI interposer does not know.
//!
//! A trace of such calls starts with a [`Schema`]: every function the generic interposer
//! interposes, with the WIT types of its parameters and result. Each call is then
//! [`Event::GenericCall`](crate::Event::GenericCall): the function's index in the schema,
//! and its arguments and result encoded by their types ([`codec`]), with no tags or
//! names, so that the binary form is compact. The schema gives them back their names: in
//! JSON ([`json`]) and in messages, in WIT value syntax ([`text`]).

pub mod codec;
#[cfg(feature = "file")]
pub mod json;
pub mod policy;
pub mod text;

use serde::{Deserialize, Serialize};

/// A WIT type, as far as a recorded value needs it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WitType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
    String,
    List(Box<WitType>),
    Record(Vec<(String, WitType)>),
    Tuple(Vec<WitType>),
    Flags(Vec<String>),
    Enum(Vec<String>),
    Variant(Vec<(String, Option<WitType>)>),
    Option(Box<WitType>),
    Result(Option<Box<WitType>>, Option<Box<WitType>>),
    /// A handle that moves to the callee, to a resource named `interface#name`.
    Own(String),
    /// A handle lent for the call.
    Borrow(String),
}

/// One interposed function.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// `interface#function`, e.g. `wasi:config/store@0.2.0-rc.1#get`, or the bare name of a
    /// function imported at the world's root.
    pub name: String,
    pub params: Vec<WitType>,
    pub result: Option<WitType>,
}

/// Every function the generic interposer of an app interposes, in the order its calls
/// name them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub functions: Vec<Function>,
}

impl Schema {
    pub fn function(&self, index: u32) -> Result<&Function, String> {
        self.functions.get(index as usize).ok_or_else(|| {
            format!(
                "function {index} is not in the trace's schema ({} functions)",
                self.functions.len()
            )
        })
    }

    /// The index of the function named `name`.
    pub fn index_of(&self, name: &str) -> Option<u32> {
        self.functions
            .iter()
            .position(|function| function.name == name)
            .map(|index| index as u32)
    }
}

/// A WIT value, positional: the type gives the names of fields and cases.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    S8(i8),
    S16(i16),
    S32(i32),
    S64(i64),
    F32(f32),
    F64(f64),
    /// A Unicode scalar value.
    Char(u32),
    String(String),
    /// A `list<u8>` or `list<s8>`, as bytes.
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Record(Vec<Value>),
    Tuple(Vec<Value>),
    /// The set flags, bit `i` for the `i`th name.
    Flags(u32),
    Enum(u32),
    /// A case of a variant, option (0 none, 1 some) or result (0 ok, 1 err), and its
    /// payload.
    Variant(u32, Option<Box<Value>>),
    /// A resource's stable id in the run: the order of its creation.
    Own(u32),
    Borrow(u32),
}

/// The deepest nesting of types a recorded value may have: wasmtime's limit on the depth
/// of component types.
pub const MAX_DEPTH: usize = 100;

impl crate::GenericCall {
    /// Appends the wire form of a call of `function` with `args` and `result` (encoded) to
    /// `out`, as [`crate::Call::encode`] does, from borrowed parts.
    pub fn encode_parts(function: u32, args: &[u8], result: &[u8], out: &mut Vec<u8>) {
        use crate::Call;
        codec::leb(u64::from(Self::ID), out);
        codec::leb(u64::from(function), out);
        for bytes in [args, result] {
            codec::leb(bytes.len() as u64, out);
            out.extend_from_slice(bytes);
        }
    }

    /// The function, the encoded arguments and the encoded result of a generic call's wire
    /// form, borrowed; `None` if the bytes are not one.
    pub fn parts_of(bytes: &[u8]) -> Option<(u32, &[u8], &[u8])> {
        use crate::Call;
        let mut reader = codec::Reader::new(bytes);
        if reader.leb().ok()? != u64::from(Self::ID) {
            return None;
        }
        let function = u32::try_from(reader.leb().ok()?).ok()?;
        let args = reader.bytes().ok()?;
        let result = reader.bytes().ok()?;
        reader.at_end().then_some((function, args, result))
    }
}

/// What a reader or writer of a trace knows of its generic calls: the schema, once seen.
#[derive(Default, Debug, Clone)]
pub struct Calls {
    pub schema: Option<Schema>,
}

/// A generic call, its values decoded.
pub struct DecodedCall<'a> {
    pub function: &'a Function,
    pub args: Vec<Value>,
    pub result: Option<Value>,
}

impl Calls {
    /// Takes note of `event`, and checks a generic call against the schema.
    pub fn observe(&mut self, event: &crate::Event) -> Result<(), String> {
        match event {
            crate::Event::GenericSchema(schema) => {
                if self.schema.is_some() {
                    return Err("a second schema of generic calls".into());
                }
                self.schema = Some(schema.result.clone());
            }
            crate::Event::GenericCall(call) => self.check(call)?,
            _ => {}
        }
        Ok(())
    }

    /// The schema, once seen.
    fn schema(&self) -> Result<&Schema, String> {
        self.schema
            .as_ref()
            .ok_or_else(|| "a generic call before the schema of generic calls".into())
    }

    /// Checks the values of `call` against the schema, building none.
    pub fn check(&self, call: &crate::GenericCall) -> Result<(), String> {
        let function = self.schema()?.function(call.function)?;
        codec::check_all(&function.params, &call.args.0)
            .map_err(|e| format!("{}: its arguments: {e}", function.name))?;
        match &function.result {
            Some(ty) => codec::check(ty, &call.result.0),
            None if call.result.0.is_empty() => Ok(()),
            None => Err("a result, which it has none of".into()),
        }
        .map_err(|e| format!("{}: its result: {e}", function.name))
    }

    /// The values of `call`, by the schema.
    pub fn decode(&self, call: &crate::GenericCall) -> Result<DecodedCall<'_>, String> {
        self.schema()?.decode(call)
    }
}

impl Schema {
    /// The values of `call`, by this schema.
    pub fn decode(&self, call: &crate::GenericCall) -> Result<DecodedCall<'_>, String> {
        let function = self.function(call.function)?;
        let args = codec::decode_all(&function.params, &call.args.0)
            .map_err(|e| format!("{}: its arguments: {e}", function.name))?;
        let result = match &function.result {
            Some(ty) => Some(
                codec::decode(ty, &call.result.0)
                    .map_err(|e| format!("{}: its result: {e}", function.name))?,
            ),
            None if call.result.0.is_empty() => None,
            None => return Err(format!("{}: a result, which it has none of", function.name)),
        };
        Ok(DecodedCall {
            function,
            args,
            result,
        })
    }

    /// `interface#function(args) -> result` in WIT value syntax, for messages; `None` for
    /// other events.
    pub fn describe(&self, event: &crate::Event) -> Option<String> {
        let crate::Event::GenericCall(call) = event else {
            return None;
        };
        Some(match self.decode(call) {
            Ok(call) => {
                let mut text = format!(
                    "{}({})",
                    call.function.name,
                    text::show_all(&call.function.params, &call.args)
                );
                if let (Some(ty), Some(result)) = (&call.function.result, &call.result) {
                    text.push_str(" -> ");
                    text.push_str(&text::show(ty, result));
                }
                text
            }
            Err(e) => format!("call of function {} ({e})", call.function),
        })
    }
}

/// Calls `f` on every handle in `value` (of type `ty`), with the name of its resource.
pub fn for_each_handle(
    ty: &WitType,
    value: &mut Value,
    f: &mut dyn FnMut(&str, &mut Value) -> Result<(), String>,
) -> Result<(), String> {
    match (ty, value) {
        (WitType::Own(resource) | WitType::Borrow(resource), value) => f(resource, value),
        (WitType::List(element), Value::List(values)) => values
            .iter_mut()
            .try_for_each(|value| for_each_handle(element, value, f)),
        (WitType::Record(fields), Value::Record(values)) => fields
            .iter()
            .zip(values)
            .try_for_each(|((_, ty), value)| for_each_handle(ty, value, f)),
        (WitType::Tuple(types), Value::Tuple(values)) => types
            .iter()
            .zip(values)
            .try_for_each(|(ty, value)| for_each_handle(ty, value, f)),
        (ty, Value::Variant(case, Some(payload))) => match codec::payload_type(ty, *case) {
            Some(payload_ty) => for_each_handle(payload_ty, payload, f),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

impl WitType {
    /// Whether a value of this type may hold a resource handle.
    pub fn has_handles(&self) -> bool {
        match self {
            WitType::Own(_) | WitType::Borrow(_) => true,
            WitType::List(element) | WitType::Option(element) => element.has_handles(),
            WitType::Record(fields) => fields.iter().any(|(_, ty)| ty.has_handles()),
            WitType::Tuple(types) => types.iter().any(WitType::has_handles),
            WitType::Variant(cases) => cases
                .iter()
                .any(|(_, ty)| ty.as_ref().is_some_and(WitType::has_handles)),
            WitType::Result(ok, err) => [ok, err]
                .iter()
                .any(|ty| ty.as_ref().is_some_and(|ty| ty.has_handles())),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Call, GenericCall};

    /// The borrowed wire form is the derived one, and reads back into its parts.
    #[test]
    fn a_generic_call_encoded_from_parts_is_the_call_encoded() {
        let call = GenericCall {
            function: 3,
            args: crate::Bytes::from(vec![1, 2, 3]),
            result: crate::Bytes::from(vec![200; 300]),
        };
        let mut from_parts = Vec::new();
        GenericCall::encode_parts(3, &call.args.0, &call.result.0, &mut from_parts);
        let mut derived = Vec::new();
        call.encode(&mut derived);
        assert_eq!(from_parts, derived);
        assert_eq!(
            GenericCall::parts_of(&derived),
            Some((3, &call.args.0[..], &call.result.0[..]))
        );
    }
}
