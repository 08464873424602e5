//! A trace as `wasm-rr bundle` stores it in a bundle, for the bundle's own `rr:log`
//! (hosts/bundle/), which reads it through `rr:log/bundled-trace`: a head (its length as
//! four little-endian bytes, then postcard), then every event's wire bytes after their
//! length (unsigned LEB128). The head holds what the replay's messages and its end check
//! need, so that the bundle reads nothing but events after it.

use crate::length::{push_with_length, LengthReader, TooLong};
use crate::{Outcome, MAX_EVENT_BYTES};
use serde::{Deserialize, Serialize};
/// The longest head: a path and a trap message.
const MAX_HEAD_BYTES: usize = 64 << 10;
/// How much the reader asks of the trace at a time.
const CHUNK_BYTES: u32 = 64 << 10;

/// What a bundle knows of its trace besides the events.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BundleHead {
    /// The trace's path as `wasm-rr bundle` was given it: messages name it, as
    /// `wasm-rr replay` does.
    pub trace: String,
    /// The trace was JSON Lines: messages then name each event's line too.
    pub json_lines: bool,
    /// How the trace ends.
    pub end: BundledEnd,
}

/// How a bundled trace ends.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum BundledEnd {
    /// How the recorded run ended.
    Complete(Outcome),
    /// The trace has no end; says where it was cut short.
    CutShort(String),
}

/// The most bytes of events a bundle holds: a bundle is made, and its host loads it, whole
/// in memory (several copies while it is composed), so this bounds what `wasm-rr bundle`
/// and the host that runs the bundle take.
pub const MAX_BUNDLED_TRACE_BYTES: usize = 128 << 20;

/// The bundled form of a trace, written in one pass over its events.
pub struct BundleWriter {
    events: Vec<u8>,
}

impl BundleWriter {
    pub fn new() -> Self {
        BundleWriter { events: Vec::new() }
    }

    pub fn event(&mut self, bytes: &[u8]) {
        push_with_length(&mut self.events, bytes);
    }

    /// The bytes of events so far.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The bundled trace: `head`, then the events.
    pub fn finish(self, head: &BundleHead) -> Vec<u8> {
        let mut encoded = Vec::new();
        crate::encode_into(head, &mut encoded);
        let mut bundled = (encoded.len() as u32).to_le_bytes().to_vec();
        bundled.extend_from_slice(&encoded);
        bundled.extend_from_slice(&self.events);
        bundled
    }
}

impl Default for BundleWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a [`BundleReader`] reads: `rr:log/bundled-trace` in a bundle.
pub trait BundleSource {
    fn size(&self) -> u64;
    /// Up to `len` bytes from `offset`; fewer only at the end.
    fn read(&self, offset: u64, len: u32) -> Vec<u8>;
}

/// Reads a bundled trace a chunk at a time: memory holds a chunk and an event.
pub struct BundleReader<S> {
    source: S,
    size: u64,
    /// Where `buffer` ends in the trace.
    offset: u64,
    buffer: Vec<u8>,
    /// The first byte of `buffer` not yet read.
    at: usize,
}

impl<S: BundleSource> BundleReader<S> {
    /// Reads the head; the events follow.
    pub fn open(source: S) -> Result<(Self, BundleHead), String> {
        let size = source.size();
        let mut reader = BundleReader {
            source,
            size,
            offset: 0,
            buffer: Vec::new(),
            at: 0,
        };
        let len = reader.take(4)?.ok_or("the bundled trace is empty")?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if len > MAX_HEAD_BYTES {
            return Err(format!("the bundled trace's head claims {len} bytes"));
        }
        let head = reader
            .take(len)?
            .ok_or("the bundled trace ends in its head")?;
        let head = postcard::from_bytes(&head)
            .map_err(|error| format!("the bundled trace's head is not valid: {error}"))?;
        Ok((reader, head))
    }

    /// The next event's wire bytes, or `None` after the last.
    pub fn next_event(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut length = LengthReader::default();
        let len = loop {
            let Some(byte) = self.take(1)? else {
                return match length.is_empty() {
                    true => Ok(None),
                    false => Err("the bundled trace ends in an event's length".into()),
                };
            };
            match length.push(byte[0]) {
                Ok(Some(len)) => break len,
                Ok(None) => {}
                Err(TooLong) => {
                    return Err("an event's length in the bundled trace is too long".into())
                }
            }
        };
        if len as usize > MAX_EVENT_BYTES {
            return Err(format!(
                "an event in the bundled trace claims {len} bytes, more than the {MAX_EVENT_BYTES} an event may have"
            ));
        }
        self.take(len as usize)?
            .map(Some)
            .ok_or_else(|| "the bundled trace ends in an event".into())
    }

    /// The next `n` bytes; `None` at the end of the trace, an error in the middle of them.
    fn take(&mut self, n: usize) -> Result<Option<Vec<u8>>, String> {
        while self.buffer.len() - self.at < n && self.offset < self.size {
            self.buffer.drain(..self.at);
            self.at = 0;
            let wanted = CHUNK_BYTES.max((n - self.buffer.len()) as u32);
            let chunk = self.source.read(self.offset, wanted);
            if chunk.is_empty() {
                break;
            }
            self.offset += chunk.len() as u64;
            self.buffer.extend_from_slice(&chunk);
        }
        match self.buffer.len() - self.at {
            0 => Ok(None),
            left if left < n => Err("the bundled trace is cut short".into()),
            _ => {
                let taken = self.buffer[self.at..self.at + n].to_vec();
                self.at += n;
                Ok(Some(taken))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct InMemory(Vec<u8>);

    impl BundleSource for &InMemory {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read(&self, offset: u64, len: u32) -> Vec<u8> {
            let start = (offset as usize).min(self.0.len());
            let end = (start + len as usize).min(self.0.len());
            self.0[start..end].to_vec()
        }
    }

    #[test]
    fn events_come_back_as_written_across_chunks() {
        let head = BundleHead {
            trace: "bad-run.bin".into(),
            json_lines: false,
            end: BundledEnd::Complete(Outcome::Exit(3)),
        };
        let events: Vec<Vec<u8>> = (0..200u32)
            .map(|i| vec![i as u8; (i as usize * 997) % 70_000])
            .collect();
        let mut writer = BundleWriter::new();
        for event in &events {
            writer.event(event);
        }
        let bundled = InMemory(writer.finish(&head));
        let (mut reader, read_head) = BundleReader::open(&bundled).unwrap();
        assert_eq!(read_head, head);
        for event in &events {
            assert_eq!(reader.next_event().unwrap().as_ref(), Some(event));
        }
        assert_eq!(reader.next_event().unwrap(), None);
    }

    #[test]
    fn a_cut_bundle_is_an_error_not_an_end() {
        let head = BundleHead {
            trace: "t.bin".into(),
            json_lines: true,
            end: BundledEnd::CutShort("t.bin was cut short after event 1".into()),
        };
        let mut writer = BundleWriter::new();
        writer.event(b"0123456789");
        let mut bytes = writer.finish(&head);
        bytes.truncate(bytes.len() - 3);
        let bundled = InMemory(bytes);
        let (mut reader, _) = BundleReader::open(&bundled).unwrap();
        assert!(reader.next_event().is_err());
    }
}
