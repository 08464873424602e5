//! The bytes under a trace: a file, or a zstd stream in it; read without seeking, so that
//! a FIFO or `<(...)` is a trace like any file.

use std::fs::File;
use std::io::{BufReader, Read, Write};

/// The first bytes of a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// zstd's level for traces: the fastest, to keep up with a recording on one core; on
/// log-like text it also compresses better than level 3. It writes windows of 512 KiB.
const ZSTD_LEVEL: i32 = 1;
/// The largest zstd window a reader accepts, as a power of two (8 MiB): what a window
/// costs a reader in memory, whatever the file says.
const MAX_ZSTD_WINDOW_LOG: u32 = 23;

/// Where a trace is written: the file, or a zstd stream into it.
pub(super) enum Output {
    File(File),
    Zstd(zstd::Encoder<'static, File>),
    /// After the end: nothing more goes in.
    Closed,
}

impl Output {
    pub(super) fn new(file: File, compressed: bool) -> std::io::Result<Output> {
        Ok(match compressed {
            true => Output::Zstd(zstd::Encoder::new(file, ZSTD_LEVEL)?),
            false => Output::File(file),
        })
    }

    /// Ends the zstd stream, if any.
    pub(super) fn finish(self) -> std::io::Result<()> {
        match self {
            Output::File(mut file) => file.flush(),
            Output::Zstd(encoder) => encoder.finish()?.flush(),
            Output::Closed => Ok(()),
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::File(file) => file.write(bytes),
            Output::Zstd(encoder) => encoder.write(bytes),
            Output::Closed => Err(std::io::Error::other("the trace has ended")),
        }
    }

    /// For zstd, ends the current block: what is written so far is then readable.
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::File(file) => file.flush(),
            Output::Zstd(encoder) => encoder.flush(),
            Output::Closed => Ok(()),
        }
    }
}

/// The file's bytes, the first ones read ahead (to tell a zstd stream) put back in front,
/// counted as they are read.
pub(super) struct Raw {
    ahead: std::io::Cursor<Vec<u8>>,
    file: File,
    read: u64,
}

impl Read for Raw {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let mut read = self.ahead.read(buffer)?;
        if read == 0 {
            read = self.file.read(buffer)?;
        }
        self.read += read as u64;
        Ok(read)
    }
}

/// Where a trace is read from: the file, or the zstd stream in it.
pub(super) enum Input {
    File(Raw),
    Zstd(zstd::Decoder<'static, BufReader<Raw>>),
}

impl Input {
    /// The file's input, decompressed when it starts with zstd's magic number: also
    /// whether it does.
    pub(super) fn open(mut file: File) -> std::io::Result<(Input, bool)> {
        let mut ahead = Vec::with_capacity(ZSTD_MAGIC.len());
        (&mut file)
            .take(ZSTD_MAGIC.len() as u64)
            .read_to_end(&mut ahead)?;
        let compressed = ahead == ZSTD_MAGIC;
        let raw = Raw {
            ahead: std::io::Cursor::new(ahead),
            file,
            read: 0,
        };
        Ok(if compressed {
            let mut decoder = zstd::Decoder::new(raw)?;
            decoder.window_log_max(MAX_ZSTD_WINDOW_LOG)?;
            (Input::Zstd(decoder), true)
        } else {
            (Input::File(raw), false)
        })
    }

    /// How far into the file reading is, in bytes.
    pub(super) fn position(&self) -> u64 {
        match self {
            Input::File(raw) => raw.read,
            Input::Zstd(decoder) => decoder.get_ref().get_ref().read,
        }
    }
}

impl Read for Input {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(file) => file.read(buffer),
            // A recording that was killed leaves its stream without an end: what it holds
            // is read, then the trace is cut short, as a binary one would be.
            Input::Zstd(decoder) => match decoder.read(buffer) {
                Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                Err(error) if error.to_string().contains("too much memory") => {
                    Err(std::io::Error::other(format!(
                        "a zstd frame whose window is larger than {} MiB, more than wasm-rr reads (its own traces use 512 KiB; compress without --long)",
                        1u32 << (MAX_ZSTD_WINDOW_LOG - 20)
                    )))
                }
                other => other,
            },
        }
    }
}
