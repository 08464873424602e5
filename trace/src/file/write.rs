//! Writing a trace, event by event.

use super::stream::Output;
use super::{
    digest_text, end_digest, error, too_large, EndLine, Format, TraceError, BINARY_MAGIC,
    BLOCK_BYTES, BLOCK_TAG, END_TAG, EVENT_TAG, MAX_EVENT_BYTES, MAX_TRAP_MESSAGE,
};
use crate::destination::{Destination, Placing};
use crate::{length, Event, Header, Outcome, FORMAT_VERSION};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a trace file comes to be at its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    /// Replaces what is at the path as soon as the header is written (`record -t FILE`):
    /// a run that is killed leaves its trace there, cut short.
    Replace,
    /// A new file, never one that is there already (`serve`, whose servers may share a
    /// directory); a trace that cannot be completed is removed, not left cut short.
    New,
    /// Replaces what is at the path only once the trace is complete (`convert`): a
    /// failure leaves the file that was there.
    ReplaceWhenComplete,
}

/// Writes a trace file event by event. Events reach the file when [`TraceWriter::flush`]
/// is called (or a block is full), so a recording that is killed leaves them readable.
pub struct TraceWriter {
    out: Output,
    destination: Destination,
    creation: Creation,
    format: Format,
    /// Bytes not yet written out: JSON lines, or the records of a binary block.
    pending: Vec<u8>,
    /// The CRC-32C of every byte of the trace before `pending` (binary: of the first
    /// line, the header and the blocks' records).
    crc: u32,
    /// Whether what is pending goes out as a block: after a binary trace's header.
    in_blocks: bool,
    finished: bool,
    line: String,
    /// The schema of the generic calls, which their JSON lines are written by.
    calls: crate::any::Calls,
}

impl TraceWriter {
    /// Writes `header` (with this crate's format version) to a trace at `path`.
    pub fn create(
        path: &Path,
        header: &Header,
        format: Format,
        creation: Creation,
    ) -> Result<Self, TraceError> {
        let (file, destination) = Destination::create(path).map_err(|e| error(path, None, e))?;
        let out = Output::new(file, format == Format::Zstd).map_err(|e| error(path, None, e))?;
        let mut writer = TraceWriter {
            out,
            destination,
            creation,
            format,
            pending: Vec::with_capacity(BLOCK_BYTES + 64),
            crc: 0,
            in_blocks: false,
            finished: false,
            line: String::new(),
            calls: crate::any::Calls::default(),
        };
        if format.is_binary() {
            writer.put(BINARY_MAGIC);
        }
        let header = Header {
            wasm_rr_trace: FORMAT_VERSION,
            ..header.clone()
        };
        writer.put_line(&header);
        writer.flush()?;
        writer.in_blocks = format.is_binary();
        let placing = match creation {
            Creation::Replace => Placing::Replace,
            Creation::New => Placing::New,
            Creation::ReplaceWhenComplete => return Ok(writer),
        };
        writer
            .destination
            .place(placing)
            .map_err(|e| error(path, None, e))?;
        Ok(writer)
    }

    fn path(&self) -> PathBuf {
        self.destination.path().to_path_buf()
    }

    pub fn event(&mut self, event: &Event) -> Result<(), TraceError> {
        match self.format {
            Format::Json => {
                self.put_event_line(event)?;
                self.write_if_full()
            }
            Format::Binary | Format::Zstd => {
                let mut bytes = Vec::new();
                event.encode(&mut bytes);
                self.event_bytes(&bytes)
            }
        }
    }

    /// Writes an event given in its wire form, as the interposer sends it.
    pub fn event_bytes(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(error(&self.path(), None, too_large(bytes.len())));
        }
        match self.format {
            Format::Json => {
                let event = Event::decode(bytes).map_err(|e| {
                    error(
                        &self.path(),
                        None,
                        format!("an event this wasm-rr cannot read: {e}"),
                    )
                })?;
                self.put_event_line(&event)?;
            }
            Format::Binary | Format::Zstd => self.record(EVENT_TAG, bytes),
        }
        self.write_if_full()
    }

    /// Puts what is written so far in the file (a binary trace: as a block).
    pub fn flush(&mut self) -> Result<(), TraceError> {
        self.write_pending()?;
        self.out.flush().map_err(|e| error(&self.path(), None, e))
    }

    /// Writes the end and flushes: the trace is then complete (and, from
    /// [`Creation::ReplaceWhenComplete`], in its place).
    pub fn finish(mut self, outcome: Outcome) -> Result<(), TraceError> {
        let outcome = match outcome {
            Outcome::Trap(message) if message.len() > MAX_TRAP_MESSAGE => {
                Outcome::Trap(crate::short_debug(&message))
            }
            outcome => outcome,
        };
        match self.format {
            Format::Json => {
                let crc32c = Some(digest_text(end_digest(self.crc, &outcome)));
                let end = EndLine {
                    end: outcome,
                    crc32c,
                };
                self.put_line(&end);
            }
            Format::Binary | Format::Zstd => {
                let json =
                    serde_json::to_vec(&outcome).map_err(|e| error(&self.path(), None, e))?;
                self.record(END_TAG, &json);
            }
        }
        self.write_pending()?;
        let out = std::mem::replace(&mut self.out, Output::Closed);
        out.finish().map_err(|e| error(&self.path(), None, e))?;
        if self.creation == Creation::ReplaceWhenComplete {
            let path = self.path();
            self.destination
                .place(Placing::Replace)
                .map_err(|e| error(&path, None, e))?;
        }
        self.finished = true;
        Ok(())
    }

    /// Removes the trace: one that cannot be completed, which would claim that its
    /// recording was killed.
    pub fn discard(mut self) {
        self.finished = true;
        let _ = self.destination.discard();
    }

    /// A binary record, into the block being gathered: its tag, its length, its bytes.
    fn record(&mut self, tag: u8, bytes: &[u8]) {
        self.pending.push(tag);
        length::push_with_length(&mut self.pending, bytes);
    }

    /// An event as its JSON line: a generic call's by the schema.
    fn put_event_line(&mut self, event: &Event) -> Result<(), TraceError> {
        self.calls.observe(event).map_err(|e| {
            error(
                &self.path(),
                None,
                format!("an event this wasm-rr cannot read: {e}"),
            )
        })?;
        match self.calls.to_json_line(event) {
            Some(line) => self.put_line(&line),
            None => self.put_line(event),
        }
        Ok(())
    }

    /// A JSON line, into what is pending.
    fn put_line(&mut self, value: &impl Serialize) {
        self.line.clear();
        // Serializing these types to a String cannot fail.
        if let Ok(json) = serde_json::to_string(value) {
            self.line = json;
        }
        self.line.push('\n');
        self.crc = crc32c::crc32c_append(self.crc, self.line.as_bytes());
        self.pending.extend_from_slice(self.line.as_bytes());
    }

    /// Bytes of the trace outside the blocks (the first line of a binary trace).
    fn put(&mut self, bytes: &[u8]) {
        self.crc = crc32c::crc32c_append(self.crc, bytes);
        self.pending.extend_from_slice(bytes);
    }

    fn write_if_full(&mut self) -> Result<(), TraceError> {
        match self.pending.len() >= BLOCK_BYTES {
            true => self.write_pending(),
            false => Ok(()),
        }
    }

    /// Writes out what is pending: in a binary trace after its header, as a block.
    fn write_pending(&mut self) -> Result<(), TraceError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.in_blocks {
            self.crc = crc32c::crc32c_append(self.crc, &self.pending);
            let mut head = [BLOCK_TAG, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let mut len = [0u8; 5];
            let used = length::encode(self.pending.len() as u32, &mut len);
            head[1..=used].copy_from_slice(&len[..used]);
            head[used + 1..used + 5].copy_from_slice(&self.crc.to_le_bytes());
            let path = self.path();
            self.out
                .write_all(&head[..used + 5])
                .map_err(|e| error(&path, None, e))?;
        }
        let written = self.out.write_all(&self.pending);
        self.pending.clear();
        written.map_err(|e| error(&self.path(), None, e))
    }
}

impl Drop for TraceWriter {
    /// A trace of [`Creation::New`] that was not completed is removed.
    fn drop(&mut self) {
        if !self.finished && self.creation == Creation::New {
            let _ = self.destination.discard();
        }
    }
}
