//! The bounds the WASI contract sets on results, given what the guest asked: replay checks
//! them before a recorded result reaches the guest, so that an edited or damaged trace is a
//! divergence naming the event, not a trap blamed on the guest.

use crate::{
    GetInsecureRandomBytes, GetRandomBytes, IncomingDatagramReceive, InputStreamBlockingRead,
    InputStreamBlockingSkip, InputStreamRead, InputStreamSkip, OutgoingDatagramSend, Poll, Read,
    StreamResult, Write,
};

/// `got` must equal `asked`: `what` names the unit.
fn exactly(got: usize, asked: u64, what: &str) -> Result<(), String> {
    if got as u64 == asked {
        Ok(())
    } else {
        Err(format!(
            "{got} {what} where the guest asked for exactly {asked}"
        ))
    }
}

/// `got` must not exceed `asked`: `what` names the unit.
fn at_most(got: u64, asked: u64, what: &str) -> Result<(), String> {
    if got <= asked {
        Ok(())
    } else {
        Err(format!(
            "{got} {what} where the guest asked for at most {asked}"
        ))
    }
}

pub fn random_bytes(call: &GetRandomBytes) -> Result<(), String> {
    exactly(call.result.0.len(), call.len, "random bytes")
}

pub fn insecure_random_bytes(call: &GetInsecureRandomBytes) -> Result<(), String> {
    exactly(call.result.0.len(), call.len, "random bytes")
}

fn stream_bytes(result: &StreamResult<crate::Bytes>, len: u64) -> Result<(), String> {
    match result {
        StreamResult::Ok(bytes) => at_most(bytes.0.len() as u64, len, "bytes read"),
        _ => Ok(()),
    }
}

fn stream_skipped(result: &StreamResult<u64>, len: u64) -> Result<(), String> {
    match result {
        StreamResult::Ok(skipped) => at_most(*skipped, len, "bytes skipped"),
        _ => Ok(()),
    }
}

pub fn stream_read(call: &InputStreamRead) -> Result<(), String> {
    stream_bytes(&call.result, call.len)
}

pub fn stream_blocking_read(call: &InputStreamBlockingRead) -> Result<(), String> {
    stream_bytes(&call.result, call.len)
}

pub fn stream_skip(call: &InputStreamSkip) -> Result<(), String> {
    stream_skipped(&call.result, call.len)
}

pub fn stream_blocking_skip(call: &InputStreamBlockingSkip) -> Result<(), String> {
    stream_skipped(&call.result, call.len)
}

/// `poll` names at least one of the pollables it was given, each by its index.
pub fn poll(call: &Poll) -> Result<(), String> {
    let count = call.pollables.len();
    if call.result.is_empty() {
        return Err("no ready pollable, where poll returns at least one".into());
    }
    match call.result.iter().find(|&&index| index as usize >= count) {
        Some(index) => Err(format!(
            "ready pollable {index} where the guest polled {count}"
        )),
        None => Ok(()),
    }
}

pub fn file_read(call: &Read) -> Result<(), String> {
    match &call.result {
        Ok((bytes, _)) => at_most(bytes.0.len() as u64, call.length, "bytes read"),
        Err(_) => Ok(()),
    }
}

pub fn file_write(call: &Write) -> Result<(), String> {
    match call.result {
        Ok(written) => at_most(written, call.len, "bytes written"),
        Err(_) => Ok(()),
    }
}

pub fn datagrams_received(call: &IncomingDatagramReceive) -> Result<(), String> {
    match &call.result {
        Ok(datagrams) => at_most(datagrams.len() as u64, call.max_results, "datagrams"),
        Err(_) => Ok(()),
    }
}

pub fn datagrams_sent(call: &OutgoingDatagramSend) -> Result<(), String> {
    match call.result {
        Ok(sent) => at_most(sent, call.datagrams.len() as u64, "datagrams sent"),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stream, Bytes, Call};

    #[test]
    fn results_beyond_what_the_guest_asked_are_refused() {
        let short = GetRandomBytes {
            len: 16,
            result: Bytes(vec![1; 3]),
        };
        assert_eq!(
            short.check_result(),
            Err("3 random bytes where the guest asked for exactly 16".into())
        );
        let long = InputStreamRead {
            stream: stream::STDIN,
            len: 32,
            result: StreamResult::Ok(Bytes(vec![0; 100])),
        };
        assert_eq!(
            long.check_result(),
            Err("100 bytes read where the guest asked for at most 32".into())
        );
        let fits = InputStreamRead {
            stream: stream::STDIN,
            len: 32,
            result: StreamResult::Ok(Bytes(vec![0; 32])),
        };
        assert_eq!(fits.check_result(), Ok(()));
        let poll = Poll {
            pollables: vec![7, 8],
            result: vec![2],
        };
        assert!(poll.check_result().is_err());
    }
}
