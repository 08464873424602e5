//! Every released event keeps its id and its wire encoding: a trace written by one wasm-rr
//! reads the same in every later one (of the same format version).
//!
//! `wire-schema.txt` holds, for each event, its id, its name and the wire bytes of a few
//! sample values, made by [`Sample`] from the types alone: the fields in order, each enum's
//! variants in turn. A change to an existing line fails this test. A new event is added
//! with `WASM_RR_UPDATE_WIRE_SCHEMA=1 cargo test -p wasm-rr-trace --test wire_schema`.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;
use std::fmt::Write as _;
use wasm_rr_trace::Event;

/// Samples per event: enough for every variant of the small enums to appear somewhere.
const SAMPLES: usize = 4;
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire-schema.txt");

#[test]
fn every_event_keeps_its_id_and_wire_encoding() {
    let current = schema();
    if std::env::var_os("WASM_RR_UPDATE_WIRE_SCHEMA").is_some() {
        std::fs::write(SNAPSHOT, &current).expect("writing the snapshot");
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("reading the snapshot");
    let current_lines: Vec<&str> = current.lines().collect();
    let mut problems = Vec::new();
    for line in snapshot.lines() {
        if !current_lines.contains(&line) {
            let id = line.split(' ').next().unwrap_or_default();
            let now = current_lines
                .iter()
                .find(|current| current.split(' ').next() == Some(id))
                .copied()
                .unwrap_or("(gone)");
            problems.push(format!("event {id} changed:\n  was {line}\n  now {now}"));
        }
    }
    for line in &current_lines {
        if !snapshot.lines().any(|old| old == *line) && !problems.iter().any(|p| p.contains(line)) {
            problems.push(format!(
                "a new event, not in the snapshot (add it with WASM_RR_UPDATE_WIRE_SCHEMA=1): {line}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn ids_are_unique() {
    let mut ids: Vec<u32> = Event::TABLE.iter().map(|row| row.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), Event::TABLE.len());
}

/// One line per event: `id name hex hex ...`, in id order.
fn schema() -> String {
    let mut rows: Vec<(u32, String)> = Vec::new();
    for (position, &(id, name, _, _)) in Event::TABLE.iter().enumerate() {
        let mut line = format!("{id} {name}");
        for choice in 0..SAMPLES {
            let event = Event::deserialize(Sample {
                top: Some(position),
                choice,
                depth: 0,
            })
            .unwrap_or_else(|e| panic!("sampling {name}: {e}"));
            assert_eq!(event.id(), id, "{name}");
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            assert_eq!(Event::decode(&bytes).as_ref(), Ok(&event), "{name}");
            line.push(' ');
            for byte in bytes {
                let _ = write!(line, "{byte:02x}");
            }
        }
        rows.push((id, line));
    }
    rows.sort_by_key(|row| row.0);
    rows.into_iter().map(|(_, line)| line + "\n").collect()
}

/// A deserializer that makes a sample of any type: numbers and strings of fixed values,
/// one-element lists, `Some`, and, for enums, the variant `choice` picks (the outermost
/// enum's is `top`, when set).
#[derive(Clone, Copy)]
struct Sample {
    top: Option<usize>,
    choice: usize,
    depth: usize,
}

#[derive(Debug)]
struct SampleError(String);

impl std::fmt::Display for SampleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SampleError {}

impl de::Error for SampleError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SampleError(msg.to_string())
    }
}

impl Sample {
    fn inner(self) -> Sample {
        Sample {
            top: None,
            choice: self.choice,
            depth: self.depth + 1,
        }
    }
}

macro_rules! sample_numbers {
    ($($method:ident => $visit:ident($($value:expr)?)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
            visitor.$visit($($value)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Sample {
    type Error = SampleError;

    /// As the wire form, postcard, is.
    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, SampleError> {
        Err(SampleError("a type that does not say what it is".into()))
    }

    sample_numbers! {
        deserialize_i8 => visit_i8(-3),
        deserialize_i16 => visit_i16(-300),
        deserialize_i32 => visit_i32(-70_000),
        deserialize_i64 => visit_i64(-5_000_000_000),
        deserialize_u8 => visit_u8(200),
        deserialize_u16 => visit_u16(60_000),
        deserialize_f32 => visit_f32(1.5),
        deserialize_f64 => visit_f64(2.5),
        deserialize_char => visit_char('é'),
        deserialize_str => visit_str("ab"),
        deserialize_string => visit_string("ab".into()),
        deserialize_bytes => visit_bytes(&[1, 2, 3]),
        deserialize_byte_buf => visit_byte_buf(vec![1, 2, 3]),
        deserialize_unit => visit_unit(),
        deserialize_identifier => visit_str("ab"),
        deserialize_ignored_any => visit_unit(),
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
        visitor.visit_bool(self.choice.is_multiple_of(2))
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
        visitor.visit_u32(70_000 + self.choice as u32)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
        visitor.visit_u64(5_000_000_000 + self.choice as u64)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
        // None in every other sample, so that both forms are held.
        if self.choice % 2 == 1 {
            visitor.visit_none()
        } else {
            visitor.visit_some(self.inner())
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        visitor.visit_newtype_struct(self.inner())
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SampleError> {
        visitor.visit_seq(Elements {
            sample: self.inner(),
            left: 1,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        visitor.visit_seq(Elements {
            sample: self.inner(),
            left: len,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, SampleError> {
        Err(SampleError("a map, which no event holds".into()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        let index = match self.top {
            Some(top) => top,
            None => (self.choice + self.depth) % variants.len(),
        };
        visitor.visit_enum(Variant {
            sample: self.inner(),
            index: index as u32,
        })
    }
}

/// A sequence of `left` samples.
struct Elements {
    sample: Sample,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements {
    type Error = SampleError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, SampleError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(self.sample).map(Some)
    }
}

/// The variant numbered `index`, its fields sampled.
struct Variant {
    sample: Sample,
    index: u32,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = SampleError;
    type Variant = Sample;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Sample), SampleError> {
        let variant = seed.deserialize(self.index.into_deserializer())?;
        Ok((variant, self.sample))
    }
}

impl<'de> de::VariantAccess<'de> for Sample {
    type Error = SampleError;

    fn unit_variant(self) -> Result<(), SampleError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, SampleError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SampleError> {
        de::Deserializer::deserialize_tuple(self, fields.len(), visitor)
    }
}
