//! Adapting a wasm32-wasip1 core module to a WASI 0.2 component, so that it runs as under
//! `wasmtime run` (which runs preview1 natively).
//!
//! The preview1 command adapter does most of it. Two of its calls answer otherwise than
//! wasmtime's own preview1, so the module is rewritten first:
//!
//! - `proc_exit` goes to a second adapter of ours ([`PROC_EXIT_ADAPTER`]), which passes
//!   statuses 1 to 125 on with `exit-with-code`, where the command adapter makes every
//!   non-zero status 1.
//! - `fd_write` and `fd_read` with no buffers at all return at once in the command adapter,
//!   without looking the descriptor up: a bad descriptor is not reported as `badf`. Calls
//!   go through a wrapper that passes one empty buffer instead (taken from the 8 bytes
//!   that end at the result pointer, whose 4 last are zeroed first: the call writes them
//!   anyway), so the adapter checks the descriptor and transfers nothing. A module with
//!   debug info (DWARF) is left without the wrapper: its code is copied byte for byte, so
//!   that its debug info, which points into the code, stays right.
//! - A module that does not lend the adapter memory (by exporting `cabi_realloc`) gets
//!   [`MEMORY_GAP_PAGES`] more initial memory, untouched: the adapter keeps its state in
//!   pages it grows past the module's memory, and a runtime that takes the pages past its
//!   data as its heap (Go's) would otherwise write over them at once.

use anyhow::{Context, Result};
use std::borrow::Cow;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{CodeSection, Function, FunctionSection, ImportSection, Instruction};
use wasmparser::{Imports, Parser, Payload, TypeRef};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

/// The preview1 module whose imports the command adapter provides.
const PREVIEW1: &str = "wasi_snapshot_preview1";
/// The module whose `proc_exit` the adapter in `proc_exit.wat` provides.
const PROC_EXIT_MODULE: &str = "wasm_rr_p1_exit";
const PROC_EXIT_ADAPTER: &str = include_str!("wasip1/proc_exit.wat");
const PROC_EXIT_WIT: &str = include_str!("wasip1/proc_exit.wit");
/// Pages (1 GiB) added to the initial memory of a module that exports no `cabi_realloc`,
/// between its memory and the adapter's. Untouched pages cost no memory.
const MEMORY_GAP_PAGES: u64 = 16_384;
/// Preview1 functions `(fd, iovs, iovs_len, result) -> errno` whose empty calls the
/// wrapper turns into calls with one empty buffer.
const CHECKED_TRANSFERS: [&str; 2] = ["fd_write", "fd_read"];

/// What the adaptation of a module depends on besides the module, for cache keys: the
/// command adapter, our adapter, and this file.
pub fn adaptation_inputs() -> [&'static [u8]; 4] {
    [
        wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        PROC_EXIT_ADAPTER.as_bytes(),
        PROC_EXIT_WIT.as_bytes(),
        include_bytes!("wasip1.rs"),
    ]
}

/// Turns a wasm32-wasip1 command module into a WASI 0.2 component.
pub fn adapt_wasip1(module: &[u8]) -> Result<Vec<u8>> {
    let not_a_command =
        "this core module is not a wasm32-wasip1 command (adapting it to a component failed)";
    let plan = Plan::of(module).context(not_a_command)?;
    let module = plan.rewrite(module).context(not_a_command)?;
    let mut encoder = ComponentEncoder::default();
    encoder
        .module(&module)
        .and_then(|encoder| {
            encoder.adapter(
                PREVIEW1,
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .context(not_a_command)?;
    if plan.proc_exit.is_some() {
        encoder.adapter(PROC_EXIT_MODULE, &proc_exit_adapter()?)?;
    }
    encoder.validate(true).encode().context(not_a_command)
}

/// The `proc_exit` adapter: its core module with the WIT world it imports embedded.
fn proc_exit_adapter() -> Result<Vec<u8>> {
    let mut module = wat::parse_str(PROC_EXIT_ADAPTER)?;
    let mut resolve = Resolve::default();
    let package = resolve.push_str("proc_exit.wit", PROC_EXIT_WIT)?;
    let world = resolve.select_world(&[package], Some("adapter"))?;
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)?;
    Ok(module)
}

/// What the rewrite changes in a module, found by a first read.
#[derive(Default)]
struct Plan {
    /// The function index of the `proc_exit` import, if any.
    proc_exit: Option<u32>,
    /// Each checked transfer's import: its function index and type index.
    checked: Vec<(u32, u32)>,
    /// Functions imported, and defined.
    imported: u32,
    defined: u32,
    /// Whether the module has DWARF, which points into its code.
    debug_info: bool,
    /// Whether the module's memory gets [`MEMORY_GAP_PAGES`] more.
    memory_gap: bool,
}

impl Plan {
    fn of(module: &[u8]) -> Result<Plan> {
        let mut plan = Plan::default();
        let mut lends_memory = false;
        for payload in Parser::new(0).parse_all(module) {
            match payload? {
                Payload::ImportSection(section) => {
                    for imports in section {
                        for import in imports?.into_iter() {
                            let (_, import) = import?;
                            let TypeRef::Func(ty) = import.ty else {
                                continue;
                            };
                            let index = plan.imported;
                            plan.imported += 1;
                            if import.module != PREVIEW1 {
                                continue;
                            }
                            if import.name == "proc_exit" {
                                plan.proc_exit = Some(index);
                            } else if CHECKED_TRANSFERS.contains(&import.name) {
                                plan.checked.push((index, ty));
                            }
                        }
                    }
                }
                Payload::FunctionSection(section) => plan.defined = section.count(),
                Payload::MemorySection(section) => {
                    for memory in section {
                        let memory = memory?;
                        let room = memory
                            .maximum
                            .is_none_or(|maximum| maximum >= memory.initial + MEMORY_GAP_PAGES);
                        plan.memory_gap = room && !memory.memory64 && !memory.shared;
                    }
                }
                Payload::ExportSection(section) => {
                    for export in section {
                        if export?.name == "cabi_realloc" {
                            lends_memory = true;
                        }
                    }
                }
                Payload::CustomSection(section) if section.name().starts_with(".debug_") => {
                    plan.debug_info = true;
                }
                _ => {}
            }
        }
        if plan.debug_info {
            plan.checked.clear();
        }
        plan.memory_gap &= !lends_memory;
        Ok(plan)
    }

    /// The index of the wrapper of the `n`th checked transfer.
    fn wrapper(&self, n: usize) -> u32 {
        self.imported + self.defined + n as u32
    }

    fn rewrite<'a>(&self, module: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        if self.proc_exit.is_none() && self.checked.is_empty() && !self.memory_gap {
            return Ok(Cow::Borrowed(module));
        }
        let mut out = wasm_encoder::Module::new();
        Rewriter { plan: self }
            .parse_core_module(&mut out, Parser::new(0), module)
            .map_err(|error| anyhow::anyhow!("rewriting the module: {error:?}"))?;
        Ok(Cow::Owned(out.finish()))
    }
}

/// Re-encodes a module as [`Plan`] says.
struct Rewriter<'p> {
    plan: &'p Plan,
}

impl Reencode for Rewriter<'_> {
    type Error = std::convert::Infallible;

    /// The module's own memory, with the gap after it when the plan says.
    fn memory_type(
        &mut self,
        memory: wasmparser::MemoryType,
    ) -> Result<wasm_encoder::MemoryType, wasm_encoder::reencode::Error<Self::Error>> {
        let mut memory = RoundtripReencoder.memory_type(memory)?;
        if self.plan.memory_gap {
            memory.minimum += MEMORY_GAP_PAGES;
        }
        Ok(memory)
    }

    /// Every use of a checked transfer's import (calls, exports, tables) is its wrapper's.
    fn function_index(
        &mut self,
        func: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        let checked = self
            .plan
            .checked
            .iter()
            .position(|&(index, _)| index == func);
        Ok(checked.map_or(func, |n| self.plan.wrapper(n)))
    }

    fn parse_imports(
        &mut self,
        section: &mut ImportSection,
        imports: Imports<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        for import in imports.into_iter() {
            let (_, import) = import?;
            let module = match (import.module, import.name) {
                (PREVIEW1, "proc_exit") => PROC_EXIT_MODULE,
                (module, _) => module,
            };
            section.import(
                module,
                import.name,
                RoundtripReencoder.entity_type(import.ty)?,
            );
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_function_section(self, functions, section)?;
        for &(_, ty) in &self.plan.checked {
            functions.function(ty);
        }
        Ok(())
    }

    /// Without calls to redirect, a body is copied as it is.
    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        if self.plan.checked.is_empty() {
            code.raw(func.as_bytes());
            return Ok(());
        }
        wasm_encoder::reencode::utils::parse_function_body(self, code, func)
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_code_section(self, code, section)?;
        for &(import, _) in &self.plan.checked {
            code.function(&checked_transfer(import));
        }
        Ok(())
    }
}

/// `(fd, iovs, iovs_len, result) -> errno` that calls `import` with one empty buffer when
/// it is given none (and the result pointer leaves room for one before it).
fn checked_transfer(import: u32) -> Function {
    let (fd, iovs, len, result) = (0, 1, 2, 3);
    let mut f = Function::new([]);
    for instruction in [
        Instruction::LocalGet(len),
        Instruction::I32Eqz,
        Instruction::LocalGet(result),
        Instruction::I32Const(4),
        Instruction::I32GeU,
        Instruction::I32And,
        Instruction::If(wasm_encoder::BlockType::Empty),
        // *result = 0: the empty buffer's length.
        Instruction::LocalGet(result),
        Instruction::I32Const(0),
        Instruction::I32Store(wasm_encoder::MemArg {
            offset: 0,
            align: 2,
            memory_index: 0,
        }),
        Instruction::LocalGet(fd),
        Instruction::LocalGet(result),
        Instruction::I32Const(4),
        Instruction::I32Sub,
        Instruction::I32Const(1),
        Instruction::LocalGet(result),
        Instruction::Call(import),
        Instruction::Return,
        Instruction::End,
        Instruction::LocalGet(fd),
        Instruction::LocalGet(iovs),
        Instruction::LocalGet(len),
        Instruction::LocalGet(result),
        Instruction::Call(import),
        Instruction::End,
    ] {
        f.instruction(&instruction);
    }
    f
}
