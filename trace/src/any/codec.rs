//! The binary form of values: directed by their types, with no tags or names.
//!
//! Integers are LEB128 (signed ones zigzag first), floats little-endian, strings and
//! lists their length then their contents, records and tuples their fields in order,
//! variants (options, results) their case then its payload.

use super::{Value, WitType, MAX_DEPTH};

pub fn encode(ty: &WitType, value: &Value, out: &mut Vec<u8>) {
    match (ty, value) {
        (_, Value::Bool(v)) => out.push(*v as u8),
        (_, Value::U8(v)) => out.push(*v),
        (_, Value::S8(v)) => out.push(*v as u8),
        (_, Value::U16(v)) => leb(*v as u64, out),
        (_, Value::U32(v)) | (_, Value::Char(v)) | (_, Value::Flags(v)) | (_, Value::Enum(v)) => {
            leb(*v as u64, out)
        }
        (_, Value::Own(v)) | (_, Value::Borrow(v)) => leb(*v as u64, out),
        (_, Value::U64(v)) => leb(*v, out),
        (_, Value::S16(v)) => leb(zigzag(*v as i64), out),
        (_, Value::S32(v)) => leb(zigzag(*v as i64), out),
        (_, Value::S64(v)) => leb(zigzag(*v), out),
        (_, Value::F32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (_, Value::F64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (_, Value::String(v)) => {
            leb(v.len() as u64, out);
            out.extend_from_slice(v.as_bytes());
        }
        (_, Value::Bytes(v)) => {
            leb(v.len() as u64, out);
            out.extend_from_slice(v);
        }
        (WitType::List(element), Value::List(values)) => {
            leb(values.len() as u64, out);
            for value in values {
                encode(element, value, out);
            }
        }
        (WitType::Record(fields), Value::Record(values)) => {
            for ((_, ty), value) in fields.iter().zip(values) {
                encode(ty, value, out);
            }
        }
        (WitType::Tuple(types), Value::Tuple(values)) => {
            for (ty, value) in types.iter().zip(values) {
                encode(ty, value, out);
            }
        }
        (ty, Value::Variant(case, payload)) => {
            leb(*case as u64, out);
            if let (Some(payload_ty), Some(payload)) = (payload_type(ty, *case), payload) {
                encode(payload_ty, payload, out);
            }
        }
        // A value that is not of its type is a bug of the interposer, which builds values
        // from the glue's types: it encodes nothing more, and replay says the event is
        // not of the function's types.
        _ => {}
    }
}

/// The type of case `case`'s payload, if it has one.
pub fn payload_type(ty: &WitType, case: u32) -> Option<&WitType> {
    match ty {
        WitType::Option(some) => (case == 1).then_some(&**some),
        WitType::Result(ok, err) => match case {
            0 => ok.as_deref(),
            _ => err.as_deref(),
        },
        WitType::Variant(cases) => cases.get(case as usize)?.1.as_ref(),
        _ => None,
    }
}

/// The number of cases of a variant-like type.
fn cases(ty: &WitType) -> usize {
    match ty {
        WitType::Option(_) | WitType::Result(..) => 2,
        WitType::Variant(cases) => cases.len(),
        WitType::Enum(names) => names.len(),
        _ => 0,
    }
}

/// Reads a value of type `ty`, all of `bytes`.
pub fn decode(ty: &WitType, bytes: &[u8]) -> Result<Value, String> {
    let mut reader = Reader::new(bytes);
    let value = reader.value(ty, 0)?;
    if reader.at != bytes.len() {
        return Err(format!(
            "{} bytes left after a value of type {}",
            bytes.len() - reader.at,
            super::text::type_name(ty)
        ));
    }
    Ok(value)
}

/// Reads values of `types` one after the other, all of `bytes`.
pub fn decode_all(types: &[super::WitType], bytes: &[u8]) -> Result<Vec<Value>, String> {
    let mut reader = Reader::new(bytes);
    let values = types
        .iter()
        .map(|ty| reader.value(ty, 0))
        .collect::<Result<Vec<_>, _>>()?;
    if reader.at != bytes.len() {
        return Err(format!(
            "{} bytes left after the values",
            bytes.len() - reader.at
        ));
    }
    Ok(values)
}

/// Checks that `bytes` are a value of type `ty`, building none.
pub fn check(ty: &WitType, bytes: &[u8]) -> Result<(), String> {
    let mut reader = Reader::checking(bytes);
    reader.value(ty, 0)?;
    if !reader.at_end() {
        return Err(format!(
            "{} bytes left after a value of type {}",
            bytes.len() - reader.at,
            super::text::type_name(ty)
        ));
    }
    Ok(())
}

/// Checks that `bytes` are values of `types` one after the other, building none.
pub fn check_all(types: &[WitType], bytes: &[u8]) -> Result<(), String> {
    let mut reader = Reader::checking(bytes);
    for ty in types {
        reader.value(ty, 0)?;
    }
    if !reader.at_end() {
        return Err(format!(
            "{} bytes left after the values",
            bytes.len() - reader.at
        ));
    }
    Ok(())
}

/// Encodes `values` of `types` one after the other.
pub fn encode_all(types: &[WitType], values: &[Value], out: &mut Vec<u8>) {
    for (ty, value) in types.iter().zip(values) {
        encode(ty, value, out);
    }
}

/// Reads encoded values (and the parts of a generic call's wire form).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Whether values are built, or only checked (`Value::Tuple(vec![])` stands for each).
    build: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            at: 0,
            build: true,
        }
    }

    /// A reader that checks values without building them: nothing is allocated.
    fn checking(bytes: &'a [u8]) -> Self {
        Reader {
            build: false,
            ..Reader::new(bytes)
        }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }

    /// A length, then as many bytes.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.len()?;
        self.take(len)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self.bytes.get(self.at).ok_or("the value ends early")?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if len > self.bytes.len() - self.at {
            return Err(format!(
                "a length of {len} where {} bytes are left",
                self.bytes.len() - self.at
            ));
        }
        let taken = &self.bytes[self.at..self.at + len];
        self.at += len;
        Ok(taken)
    }

    pub(crate) fn leb(&mut self) -> Result<u64, String> {
        Ok(read_leb(self.bytes, &mut self.at)?)
    }

    fn int<T: TryFrom<u64>>(&mut self, what: &str) -> Result<T, String> {
        let value = self.leb()?;
        T::try_from(value).map_err(|_| format!("{value} is out of range for {what}"))
    }

    fn signed<T: TryFrom<i64>>(&mut self, what: &str) -> Result<T, String> {
        let value = unzigzag(self.leb()?);
        T::try_from(value).map_err(|_| format!("{value} is out of range for {what}"))
    }

    fn len(&mut self) -> Result<usize, String> {
        let len = self.leb()?;
        usize::try_from(len).map_err(|_| format!("a length of {len}"))
    }

    fn value(&mut self, ty: &WitType, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nested deeper than {MAX_DEPTH}"));
        }
        Ok(match ty {
            WitType::Bool => match self.byte()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                other => return Err(format!("{other} is not a bool")),
            },
            WitType::U8 => Value::U8(self.byte()?),
            WitType::S8 => Value::S8(self.byte()? as i8),
            WitType::U16 => Value::U16(self.int("u16")?),
            WitType::U32 => Value::U32(self.int("u32")?),
            WitType::U64 => Value::U64(self.leb()?),
            WitType::S16 => Value::S16(self.signed("s16")?),
            WitType::S32 => Value::S32(self.signed("s32")?),
            WitType::S64 => Value::S64(unzigzag(self.leb()?)),
            WitType::F32 => Value::F32(f32::from_le_bytes(
                self.take(4)?.try_into().map_err(|_| "a short f32")?,
            )),
            WitType::F64 => Value::F64(f64::from_le_bytes(
                self.take(8)?.try_into().map_err(|_| "a short f64")?,
            )),
            WitType::Char => {
                let scalar: u32 = self.int("char")?;
                if char::from_u32(scalar).is_none() {
                    return Err(format!("{scalar:#x} is not a Unicode scalar value"));
                }
                Value::Char(scalar)
            }
            WitType::String => {
                let len = self.len()?;
                let bytes = self.take(len)?;
                let text = std::str::from_utf8(bytes).map_err(|_| "a string that is not UTF-8")?;
                match self.build {
                    true => Value::String(text.to_string()),
                    false => Value::Tuple(Vec::new()),
                }
            }
            WitType::List(element) if matches!(**element, WitType::U8 | WitType::S8) => {
                let len = self.len()?;
                let bytes = self.take(len)?;
                match self.build {
                    true => Value::Bytes(bytes.to_vec()),
                    false => Value::Tuple(Vec::new()),
                }
            }
            WitType::List(element) => {
                let len = self.len()?;
                // Every element takes a byte at least, but for empty tuples: a length
                // cannot make the reader allocate more than the bytes it was given.
                let most = (self.bytes.len() - self.at).max(1 << 16);
                if len > most {
                    return Err(format!("a list of {len} elements in {most} bytes"));
                }
                let capacity = if self.build {
                    len.min(self.bytes.len() - self.at)
                } else {
                    0
                };
                let mut values = Vec::with_capacity(capacity);
                for _ in 0..len {
                    let value = self.value(element, depth + 1)?;
                    if self.build {
                        values.push(value);
                    }
                }
                Value::List(values)
            }
            WitType::Record(fields) => {
                Value::Record(self.fields(fields.iter().map(|(_, ty)| ty), depth)?)
            }
            WitType::Tuple(types) => Value::Tuple(self.fields(types.iter(), depth)?),
            WitType::Flags(names) => {
                let bits: u32 = self.int("flags")?;
                if names.len() < 32 && bits >> names.len() != 0 {
                    return Err(format!("flags {bits:#x} beyond the {} names", names.len()));
                }
                Value::Flags(bits)
            }
            WitType::Enum(_) => Value::Enum(self.case(ty)?),
            WitType::Option(_) | WitType::Result(..) | WitType::Variant(_) => {
                let case = self.case(ty)?;
                let payload = match super::codec::payload_type(ty, case) {
                    Some(payload) => Some(Box::new(self.value(payload, depth + 1)?)),
                    None => None,
                };
                Value::Variant(case, payload)
            }
            WitType::Own(_) => Value::Own(self.int("a handle")?),
            WitType::Borrow(_) => Value::Borrow(self.int("a handle")?),
        })
    }

    /// The values of `types`, one after the other (none kept when only checking).
    fn fields<'t>(
        &mut self,
        types: impl Iterator<Item = &'t WitType>,
        depth: usize,
    ) -> Result<Vec<Value>, String> {
        let mut values = Vec::new();
        for ty in types {
            let value = self.value(ty, depth + 1)?;
            if self.build {
                values.push(value);
            }
        }
        Ok(values)
    }

    fn case(&mut self, ty: &WitType) -> Result<u32, String> {
        let case: u32 = self.int("a case")?;
        if case as usize >= cases(ty) {
            return Err(format!(
                "case {case} of {}, which has {}",
                super::text::type_name(ty),
                cases(ty)
            ));
        }
        Ok(case)
    }
}

/// Reads the LEB128 integer at `*at` of `bytes`, moving `at` past it.
#[inline]
pub fn read_leb(bytes: &[u8], at: &mut usize) -> Result<u64, &'static str> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or("the value ends early")?;
        *at += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("an integer longer than 64 bits")
}

/// Appends `value` as LEB128.
#[inline]
pub fn leb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A signed integer as the unsigned one LEB128 holds.
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The signed integer of [`zigzag`]'s unsigned one.
pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}
