//! `wasi:cli`: environment, standard streams and terminals are recorded; `exit` goes to
//! the host in every mode, so that the runner sees the guest's status.

use crate::bindings::exports::wasi::cli::{
    environment as e_env, exit as e_exit, stderr as e_stderr, stdin as e_stdin, stdout as e_stdout,
    terminal_input as e_tin, terminal_output as e_tout, terminal_stderr as e_tstderr,
    terminal_stdin as e_tstdin, terminal_stdout as e_tstdout,
};
use crate::bindings::exports::wasi::io::streams as e_streams;
use crate::bindings::wasi::cli::{
    environment as i_env, exit as i_exit, stderr as i_stderr, stdin as i_stdin, stdout as i_stdout,
    terminal_stderr as i_tstderr, terminal_stdin as i_tstdin, terminal_stdout as i_tstdout,
};
use crate::io::{InputStream, OutputStream};
use crate::log::recorded;
use crate::Interposer;
use wasm_rr_trace::{self as trace, stream};

impl e_env::Guest for Interposer {
    fn get_environment() -> Vec<(String, String)> {
        recorded::<trace::GetEnvironment>((), i_env::get_environment)
    }

    fn get_arguments() -> Vec<String> {
        recorded::<trace::GetArguments>((), i_env::get_arguments)
    }

    fn initial_cwd() -> Option<String> {
        recorded::<trace::InitialCwd>((), i_env::initial_cwd)
    }
}

impl e_exit::Guest for Interposer {
    fn exit(status: Result<(), ()>) {
        crate::log::give_back();
        i_exit::exit(status)
    }

    fn exit_with_code(status_code: u8) {
        crate::log::give_back();
        i_exit::exit_with_code(status_code)
    }
}

impl e_stdin::Guest for Interposer {
    fn get_stdin() -> e_streams::InputStream {
        InputStream::stdin(i_stdin::get_stdin)
    }
}

impl e_stdout::Guest for Interposer {
    fn get_stdout() -> e_streams::OutputStream {
        OutputStream::std(stream::STDOUT, i_stdout::get_stdout())
    }
}

impl e_stderr::Guest for Interposer {
    fn get_stderr() -> e_streams::OutputStream {
        OutputStream::std(stream::STDERR, i_stderr::get_stderr())
    }
}

/// A terminal has no operations: whether there is one is all the guest can observe.
pub struct Terminal;

impl e_tin::GuestTerminalInput for Terminal {}
impl e_tout::GuestTerminalOutput for Terminal {}

impl e_tin::Guest for Interposer {
    type TerminalInput = Terminal;
}

impl e_tout::Guest for Interposer {
    type TerminalOutput = Terminal;
}

impl e_tstdin::Guest for Interposer {
    fn get_terminal_stdin() -> Option<e_tin::TerminalInput> {
        recorded::<trace::GetTerminalStdin>((), || i_tstdin::get_terminal_stdin().is_some())
            .then(|| e_tin::TerminalInput::new(Terminal))
    }
}

impl e_tstdout::Guest for Interposer {
    fn get_terminal_stdout() -> Option<e_tout::TerminalOutput> {
        recorded::<trace::GetTerminalStdout>((), || i_tstdout::get_terminal_stdout().is_some())
            .then(|| e_tout::TerminalOutput::new(Terminal))
    }
}

impl e_tstderr::Guest for Interposer {
    fn get_terminal_stderr() -> Option<e_tout::TerminalOutput> {
        recorded::<trace::GetTerminalStderr>((), || i_tstderr::get_terminal_stderr().is_some())
            .then(|| e_tout::TerminalOutput::new(Terminal))
    }
}
