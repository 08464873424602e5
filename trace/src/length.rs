//! Length prefixes in unsigned LEB128, at most 5 bytes: how a binary trace frames its
//! records, a bundle its events, and `rr:log/next-batch` the events of a batch.

/// Writes `len` into `out`; returns how many bytes it took (1 to 5).
pub fn encode(mut len: u32, out: &mut [u8; 5]) -> usize {
    let mut used = 0;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out[used] = byte;
            return used + 1;
        }
        out[used] = byte | 0x80;
        used += 1;
    }
}

/// Appends `bytes` to `out` after their length.
pub fn push_with_length(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut head = [0; 5];
    let used = encode(bytes.len() as u32, &mut head);
    out.extend_from_slice(&head[..used]);
    out.extend_from_slice(bytes);
}

/// A length read a byte at a time, as it comes from a stream or a buffer.
#[derive(Default)]
pub struct LengthReader {
    len: u64,
    shift: u32,
}

/// A length that goes on past 5 bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLong;

impl LengthReader {
    /// Takes the length's next byte: the length once this byte ends it.
    pub fn push(&mut self, byte: u8) -> Result<Option<u64>, TooLong> {
        self.len |= u64::from(byte & 0x7f) << self.shift;
        if byte & 0x80 == 0 {
            return Ok(Some(self.len));
        }
        self.shift += 7;
        if self.shift > 28 {
            return Err(TooLong);
        }
        Ok(None)
    }

    /// Whether no byte was taken yet.
    pub fn is_empty(&self) -> bool {
        self.shift == 0
    }
}

/// Where the bytes framed by the length that starts at `at` lie in `bytes` (a batch of
/// events, a block of records): `Ok(None)` where the length or its bytes run past the end.
pub fn framed_at(bytes: &[u8], at: usize) -> Result<Option<std::ops::Range<usize>>, TooLong> {
    let mut length = LengthReader::default();
    for (i, &byte) in bytes.get(at..).unwrap_or_default().iter().enumerate() {
        if let Some(len) = length.push(byte)? {
            let start = at + i + 1;
            let end = start.checked_add(len as usize);
            return Ok(end.filter(|&end| end <= bytes.len()).map(|end| start..end));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_come_back_as_written() {
        for len in [
            0usize,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            2 << 20,
            u32::MAX as usize,
        ] {
            let mut head = [0; 5];
            let used = encode(len as u32, &mut head);
            let mut reader = LengthReader::default();
            let read: Vec<_> = head[..used].iter().map(|&b| reader.push(b)).collect();
            assert_eq!(read.last(), Some(&Ok(Some(len as u64))), "{len}");
            assert!(read[..used - 1].iter().all(|r| *r == Ok(None)), "{len}");
        }
    }

    #[test]
    fn a_frame_is_found_or_said_to_run_past_the_end() {
        let mut bytes = vec![9];
        push_with_length(&mut bytes, b"abc");
        push_with_length(&mut bytes, &[7; 200]);
        assert_eq!(framed_at(&bytes, 1), Ok(Some(2..5)));
        assert_eq!(framed_at(&bytes, 5), Ok(Some(7..207)));
        assert_eq!(framed_at(&bytes[..206], 5), Ok(None));
        assert_eq!(framed_at(&bytes, 207), Ok(None));
        assert_eq!(framed_at(&[0x80; 6], 0), Err(TooLong));
    }

    #[test]
    fn a_sixth_byte_is_too_long() {
        let mut reader = LengthReader::default();
        for _ in 0..4 {
            assert_eq!(reader.push(0x80), Ok(None));
        }
        assert_eq!(reader.push(0x80), Err(TooLong));
    }
}
