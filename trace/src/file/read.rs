//! Reading a trace, event by event, in any format, checking it as it goes.

use super::stream::Input;
use super::{
    digest_text, end_digest, error, too_large, EndLine, Format, TraceError, Version, BINARY_MAGIC,
    BLOCK_TAG, END_TAG, EVENT_TAG, MAX_BLOCK_BYTES, MAX_EVENT_BYTES, MAX_HEADER_BYTES,
    MAX_LINE_BYTES, OLDEST_READABLE,
};
use crate::length::{self, LengthReader, TooLong};
use crate::{Event, Header, Outcome, FORMAT_VERSION};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What reading a binary record found.
enum RecordRead {
    Record(u8, Vec<u8>),
    /// The file ends here, between records or in the middle of one (of a block).
    Eof,
}

/// How the trace ended.
#[derive(Debug)]
enum Finished {
    /// With its end: how the recorded run ended.
    End(Outcome),
    /// Without one: the recording was killed.
    CutShort,
}

/// Reads a trace file event by event, in any format. Every event it gives decodes, and
/// in a trace of the current format, comes from a block whose checksum matches (JSON: the
/// digest of the whole trace is checked at its end).
pub struct TraceReader {
    input: BufReader<Input>,
    path: PathBuf,
    format: Format,
    /// The trace's format version.
    version: u32,
    /// JSON: the line the last event was read from.
    line_number: u64,
    events_read: u64,
    /// Set once the reader has reached the end of the trace.
    finished: Option<Finished>,
    line: Vec<u8>,
    /// The CRC-32C of what was read so far (in a binary trace, but the blocks' heads).
    crc: u32,
    /// JSON: the CRC-32C of what was read before the line last read.
    crc_before_line: u32,
    /// Bytes of the trace read so far (of a zstd trace: decompressed).
    offset: u64,
    /// Format 5, binary: the records of the block being read, and where the next starts.
    block: Vec<u8>,
    block_at: usize,
    /// The schema of the generic calls read so far, which checks them.
    calls: crate::any::Calls,
}

impl TraceReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(Self, Header), TraceError> {
        let file = File::open(path).map_err(|e| error(path, None, e))?;
        let (input, compressed) = Input::open(file).map_err(|e| error(path, None, e))?;
        let mut reader = TraceReader {
            input: BufReader::with_capacity(1 << 16, input),
            path: path.into(),
            format: Format::Json,
            version: FORMAT_VERSION,
            line_number: 0,
            events_read: 0,
            finished: None,
            line: Vec::new(),
            crc: 0,
            crc_before_line: 0,
            offset: 0,
            block: Vec::new(),
            block_at: 0,
            calls: Default::default(),
        };
        let mut first = reader.next_line(MAX_HEADER_BYTES)?;
        if first && reader.current_line() == &BINARY_MAGIC[..BINARY_MAGIC.len() - 1] {
            reader.format = if compressed {
                Format::Zstd
            } else {
                Format::Binary
            };
            first = reader.next_line(MAX_HEADER_BYTES)?;
        }
        if !first {
            let why = match (compressed, reader.offset) {
                (false, 0) => "empty file: not a wasm-rr trace",
                _ => {
                    "cut short before its header was written: its recording was killed as it began"
                }
            };
            return Err(error(&reader.path, None, why));
        }
        let line = reader.current_line().to_vec();
        let header_error = |reader: &TraceReader, message: String| TraceError {
            path: reader.path.clone(),
            line: Some(reader.line_number),
            message,
        };
        if reader.line.last() != Some(&b'\n') && line.first() == Some(&b'{') {
            return Err(header_error(
                &reader,
                "cut short in its header: its recording was killed as it began".into(),
            ));
        }
        let version: Version = serde_json::from_slice(&line)
            .map_err(|e| header_error(&reader, format!("not a wasm-rr trace header: {e}")))?;
        if !(OLDEST_READABLE..=FORMAT_VERSION).contains(&version.wasm_rr_trace) {
            return Err(header_error(
                &reader,
                format!(
                    "trace format {} is not supported: this wasm-rr ({}) reads formats {OLDEST_READABLE} to {FORMAT_VERSION}",
                    version.wasm_rr_trace,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        reader.version = version.wasm_rr_trace;
        let header: Header = serde_json::from_slice(&line)
            .map_err(|e| header_error(&reader, format!("not a wasm-rr trace header: {e}")))?;
        Ok((reader, header))
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the trace carries checksums (format 5 and later).
    fn checked(&self) -> bool {
        self.version >= 5
    }

    /// What the reader knows of the trace's generic calls (their schema, once read).
    pub fn calls(&self) -> &crate::any::Calls {
        &self.calls
    }

    /// The next event, or `None` at the end of the trace.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        match self.format {
            Format::Json => self.next_json_event(),
            Format::Binary | Format::Zstd => {
                let Some(bytes) = self.next_binary_event()? else {
                    return Ok(None);
                };
                let event = Event::decode(&bytes).map_err(|e| self.event_error(e.to_string()))?;
                self.calls
                    .observe(&event)
                    .map_err(|e| self.event_error(e))?;
                self.events_read += 1;
                Ok(Some(event))
            }
        }
    }

    /// The next event in its wire form, or `None` at the end of the trace. A binary trace
    /// holds that form already: the event is only checked to decode.
    pub fn next_event_bytes(&mut self) -> Result<Option<Vec<u8>>, TraceError> {
        if self.format == Format::Json {
            let Some(event) = self.next_json_event()? else {
                return Ok(None);
            };
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(self.event_error(too_large(bytes.len())));
            }
            return Ok(Some(bytes));
        }
        let Some(bytes) = self.next_binary_event()? else {
            return Ok(None);
        };
        // Every event decodes, an output's too: a trace is never half read.
        match Event::decode(&bytes) {
            Ok(event) => self
                .calls
                .observe(&event)
                .map_err(|e| self.event_error(e))?,
            Err(e) => return Err(self.event_error(e.to_string())),
        }
        self.events_read += 1;
        Ok(Some(bytes))
    }

    /// The next event's bytes in a binary trace (not yet counted as read), or `None` at
    /// its end.
    fn next_binary_event(&mut self) -> Result<Option<Vec<u8>>, TraceError> {
        if self.finished.is_some() {
            return Ok(None);
        }
        let record = match self.checked() {
            true => self.next_block_record()?,
            false => self.next_record()?,
        };
        match record {
            RecordRead::Record(EVENT_TAG, bytes) => Ok(Some(bytes)),
            RecordRead::Record(_, bytes) => {
                let outcome = serde_json::from_slice::<Outcome>(&bytes)
                    .map_err(|e| self.event_error(format!("an end that does not decode: {e}")))?;
                let mut more = [0u8];
                let after_block = self.block_at < self.block.len();
                if after_block || self.input.read(&mut more).map_err(|e| self.io_error(e))? > 0 {
                    return Err(error(&self.path, None, "bytes after the end of the trace"));
                }
                self.finished = Some(Finished::End(outcome));
                Ok(None)
            }
            RecordRead::Eof => {
                self.finished = Some(Finished::CutShort);
                Ok(None)
            }
        }
    }

    /// Reads one record of format 4 from the file, bounded by what its tag allows.
    fn next_record(&mut self) -> Result<RecordRead, TraceError> {
        let mut tag = [0u8];
        if self.read_some(&mut tag)? == 0 {
            return Ok(RecordRead::Eof);
        }
        let limit = match tag[0] {
            EVENT_TAG => MAX_EVENT_BYTES,
            END_TAG => MAX_HEADER_BYTES,
            other => return Err(self.event_error(format!("unknown record tag {other}"))),
        };
        let Some(len) = self.read_length()? else {
            return Ok(RecordRead::Eof);
        };
        if len > limit as u64 {
            return Err(self.event_error(format!(
                "a record of {len} bytes, more than a trace record may hold ({limit} bytes)"
            )));
        }
        // Bounded by the limit above, whatever the file says.
        let mut bytes = vec![0; len as usize];
        match self.read_all(&mut bytes)? {
            true => Ok(RecordRead::Record(tag[0], bytes)),
            false => Ok(RecordRead::Eof),
        }
    }

    /// The next record of the block being read, reading the next block (and checking it)
    /// when this one is used up.
    fn next_block_record(&mut self) -> Result<RecordRead, TraceError> {
        if self.block_at >= self.block.len() && !self.next_block()? {
            return Ok(RecordRead::Eof);
        }
        let tag = self.block[self.block_at];
        let framed = length::framed_at(&self.block, self.block_at + 1)
            .map_err(|TooLong| self.event_error("a record length longer than 5 bytes"))?;
        let Some(record) = framed.filter(|_| tag == EVENT_TAG || tag == END_TAG) else {
            return Err(self.event_error("a block whose records do not fit it"));
        };
        self.block_at = record.end;
        Ok(RecordRead::Record(tag, self.block[record].to_vec()))
    }

    /// Reads the next block and checks it against its CRC-32C: false where the trace
    /// ends (in a block that was being written: the recording was killed there).
    fn next_block(&mut self) -> Result<bool, TraceError> {
        let at = self.offset;
        let mut tag = [0u8];
        if self.read_some(&mut tag)? == 0 {
            return Ok(false);
        }
        if tag[0] != BLOCK_TAG {
            return Err(self.event_error(format!(
                "the trace is damaged at byte {at}{}: a block starts with tag {}",
                self.decompressed(),
                tag[0]
            )));
        }
        let Some(len) = self.read_length()? else {
            return Ok(false);
        };
        if len > MAX_BLOCK_BYTES as u64 {
            return Err(self.event_error(format!(
                "the trace is damaged at byte {at}{}: a block of {len} bytes, more than a trace block may hold ({MAX_BLOCK_BYTES} bytes)",
                self.decompressed()
            )));
        }
        let mut crc = [0u8; 4];
        // Bounded by the limit above, whatever the file says.
        let mut block = vec![0; len as usize];
        if !self.read_all(&mut crc)? || !self.read_all(&mut block)? {
            return Ok(false);
        }
        let running = crc32c::crc32c_append(self.crc, &block);
        if running != u32::from_le_bytes(crc) || block.is_empty() {
            return Err(self.event_error(format!(
                "the trace is damaged: the block of {len} bytes at byte {at}{} does not match its checksum (CRC-32C)",
                self.decompressed()
            )));
        }
        self.crc = running;
        self.block = block;
        self.block_at = 0;
        Ok(true)
    }

    /// Says that offsets count decompressed bytes, in a zstd trace.
    fn decompressed(&self) -> &'static str {
        match self.format {
            Format::Zstd => " of the decompressed trace",
            _ => "",
        }
    }

    /// A length (LEB128) from the file; `None` where the file ends.
    fn read_length(&mut self) -> Result<Option<u64>, TraceError> {
        let mut length = LengthReader::default();
        loop {
            let mut byte = [0u8];
            if self.read_some(&mut byte)? == 0 {
                return Ok(None);
            }
            match length.push(byte[0]) {
                Ok(Some(len)) => return Ok(Some(len)),
                Ok(None) => {}
                Err(TooLong) => return Err(self.event_error("a record length longer than 5 bytes")),
            }
        }
    }

    fn read_some(&mut self, buffer: &mut [u8]) -> Result<usize, TraceError> {
        let read = self.input.read(buffer).map_err(|e| self.io_error(e))?;
        self.offset += read as u64;
        Ok(read)
    }

    /// Fills `buffer`: false where the file ends first.
    fn read_all(&mut self, buffer: &mut [u8]) -> Result<bool, TraceError> {
        match self.input.read_exact(buffer) {
            Ok(()) => {
                self.offset += buffer.len() as u64;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(self.io_error(e)),
        }
    }

    fn next_json_event(&mut self) -> Result<Option<Event>, TraceError> {
        if self.finished.is_some() {
            return Ok(None);
        }
        if !self.next_line(MAX_LINE_BYTES)? {
            self.finished = Some(Finished::CutShort);
            return Ok(None);
        }
        let parsed = match self.calls.from_json_line(self.current_line()) {
            Some(generic) => Ok(generic.map_err(|e| self.event_error(e))?),
            None => serde_json::from_slice::<Event>(self.current_line()),
        };
        match parsed {
            Ok(event) => {
                self.calls
                    .observe(&event)
                    .map_err(|e| self.event_error(e))?;
                self.events_read += 1;
                Ok(Some(event))
            }
            Err(event_error) => {
                if let Some(end) = self.end_line()? {
                    if self.next_line(MAX_LINE_BYTES)? {
                        return Err(self.error("a line after the end of the trace"));
                    }
                    self.finished = Some(Finished::End(end));
                    return Ok(None);
                }
                // A last line without its newline was cut short while being written.
                if self.line.last() != Some(&b'\n') {
                    self.finished = Some(Finished::CutShort);
                    return Ok(None);
                }
                Err(self.error(json_event_error(&event_error)))
            }
        }
    }

    /// The line just read as the end of a JSON trace, its digest checked: `None` if it is
    /// not an end line.
    fn end_line(&self) -> Result<Option<Outcome>, TraceError> {
        let line = self.current_line();
        let end = match serde_json::from_slice::<EndLine>(line) {
            Ok(end) => end,
            Err(e) => {
                let value = serde_json::from_slice::<serde_json::Value>(line);
                return match value.ok().filter(|value| value.get("end").is_some()) {
                    Some(_) => Err(self.error(format!("an end that does not decode: {e}"))),
                    None => Ok(None),
                };
            }
        };
        let expected = digest_text(end_digest(self.crc_before_line, &end.end));
        match end.crc32c {
            Some(digest) if self.checked() && digest != expected => Err(self.error(format!(
                "the trace is damaged, or was edited: its digest (CRC-32C {digest}) does not match its lines ({expected}); after an edit, take \"crc32c\" out of this line"
            ))),
            _ => Ok(Some(end.end)),
        }
    }

    /// The line the last event was read from, in a JSON trace.
    pub fn line_number(&self) -> Option<u64> {
        (self.format == Format::Json).then_some(self.line_number)
    }

    /// How far into the file the reader is, in bytes (for progress).
    pub fn bytes_read(&mut self) -> u64 {
        self.input.get_ref().position()
    }

    /// How many events have been read.
    pub fn events_read(&self) -> u64 {
        self.events_read
    }

    /// How the recorded run ended, once the end has been read; `None` before, and for a
    /// trace that was cut short (see [`TraceReader::cut_short`]).
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.finished {
            Some(Finished::End(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// Whether the reader reached the end of a trace that has no end record.
    pub fn cut_short(&self) -> bool {
        matches!(self.finished, Some(Finished::CutShort))
    }

    /// Says where a trace that has no end was cut, for messages.
    pub fn cut_short_message(&self) -> String {
        format!(
            "{} was cut short after event {}: it has no end (its recording was killed, crashed or could not write the rest)",
            self.path.display(),
            self.events_read
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error about the line just read (JSON) or the event being read (binary).
    pub fn error(&self, message: impl Into<String>) -> TraceError {
        match self.format {
            Format::Json => TraceError {
                path: self.path.clone(),
                line: Some(self.line_number),
                message: message.into(),
            },
            Format::Binary | Format::Zstd => self.event_error(message),
        }
    }

    /// An error about the event being read, located by number.
    fn event_error(&self, message: impl Into<String>) -> TraceError {
        let line = (self.format == Format::Json).then_some(self.line_number);
        let message = message.into();
        TraceError {
            path: self.path.clone(),
            line,
            message: match self.format {
                Format::Json => message,
                Format::Binary | Format::Zstd => {
                    format!("event {}: {message}", self.events_read + 1)
                }
            },
        }
    }

    fn io_error(&self, e: std::io::Error) -> TraceError {
        self.error(e.to_string())
    }

    /// Reads the next line that is not blank, up to `limit` bytes, into `self.line` (with
    /// its line end, if it has one): false at the end of the file.
    fn next_line(&mut self, limit: usize) -> Result<bool, TraceError> {
        loop {
            self.line.clear();
            let read = (&mut self.input)
                .take(limit as u64 + 1)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| error(&self.path, Some(self.line_number + 1), e))?;
            if read == 0 {
                return Ok(false);
            }
            self.offset += read as u64;
            self.crc_before_line = self.crc;
            self.crc = crc32c::crc32c_append(self.crc, &self.line);
            self.line_number += 1;
            if self.line.len() > limit && self.line.last() != Some(&b'\n') {
                return Err(self.error(format!("a line longer than {limit} bytes")));
            }
            let line = self.current_line();
            if std::str::from_utf8(line).is_err() {
                return Err(self.error("a line that is not UTF-8 text"));
            }
            if !line.is_empty() {
                return Ok(true);
            }
        }
    }

    /// The line last read, without its line end.
    fn current_line(&self) -> &[u8] {
        self.line.trim_ascii_end()
    }
}

/// A JSON line that is not an event, said in a line: an unknown event is named, without
/// serde's list of every known one.
fn json_event_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.split_once("unknown variant `") {
        Some((_, rest)) => {
            let name = rest.split('`').next().unwrap_or_default();
            format!(
                "unknown event `{}`",
                crate::short_debug(&name).trim_matches('"')
            )
        }
        None => format!("invalid event: {text}"),
    }
}
