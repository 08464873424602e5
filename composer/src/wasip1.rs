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
//!   [`MEMORY_GAP_PAGES`] more initial memory, and a `cabi_realloc_adapter` export that
//!   gives the adapter two fixed pages near the top of that gap (its stack, then its
//!   state), below a last page given to no one. Without it the adapter grows memory for
//!   them, past the module's memory, where runtimes write over them: Go's takes the pages
//!   past its data as its heap at once; AssemblyScript's takes every page that exists at
//!   its first allocation, and marks the end of its heap in the last one. In the gap, a
//!   heap that grows from its bottom reaches them past 1 GiB, and the last page takes the
//!   end marker. A module with DWARF gets the export only if it leaves its code where it
//!   was (one more function can lengthen the function count that the code starts with).

use anyhow::{Context, Result};
use std::borrow::Cow;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection, GlobalSection,
    ImportSection, Instruction, SectionId, TypeSection, ValType,
};
use wasmparser::{Imports, Parser, Payload, TypeRef};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

/// The preview1 module whose imports the command adapter provides.
const PREVIEW1: &str = "wasi_snapshot_preview1";
/// The module whose `proc_exit` the adapter in `proc_exit.wat` provides.
const PROC_EXIT_MODULE: &str = "wasm_rr_p1_exit";
const PROC_EXIT_ADAPTER: &str = include_str!("wasip1/proc_exit.wat");
const PROC_EXIT_WIT: &str = include_str!("wasip1/proc_exit.wit");
/// Pages (1 GiB) added to the initial memory of a module that exports no `cabi_realloc`;
/// the adapter's pages are at its top. Untouched pages cost no memory.
const MEMORY_GAP_PAGES: u64 = 16_384;
const PAGE_SIZE: u64 = 65_536;
/// The export that wit-component links to the adapter's `__main_module__::cabi_realloc`
/// rather than `cabi_realloc`. With it, the adapter takes its stack (lazily, at its first
/// call) and its state from it, each a page, and never grows memory.
const ADAPTER_REALLOC: &str = "cabi_realloc_adapter";
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
    /// The module's initial memory, in pages.
    initial_pages: u64,
    /// Whether the module gets [`ADAPTER_REALLOC`].
    adapter_realloc: bool,
    /// Types, and globals (imported and defined): the indices of those the rewrite adds.
    types: u32,
    globals: u32,
}

impl Plan {
    fn of(module: &[u8]) -> Result<Plan> {
        let mut plan = Plan::default();
        let mut lends_memory = false;
        let mut memories = 0;
        for payload in Parser::new(0).parse_all(module) {
            match payload? {
                Payload::TypeSection(section) => {
                    for group in section {
                        plan.types += group?.types().len() as u32;
                    }
                }
                Payload::ImportSection(section) => {
                    for imports in section {
                        for import in imports?.into_iter() {
                            let (_, import) = import?;
                            match import.ty {
                                TypeRef::Global(_) => plan.globals += 1,
                                TypeRef::Memory(_) => memories += 1,
                                _ => {}
                            }
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
                Payload::GlobalSection(section) => plan.globals += section.count(),
                Payload::MemorySection(section) => {
                    for memory in section {
                        let memory = memory?;
                        memories += 1;
                        // Within wasm32's 4 GiB, so that every address fits an i32.
                        let pages = memory.initial + MEMORY_GAP_PAGES;
                        let room = pages <= 1 << 16 && memory.maximum.is_none_or(|m| m >= pages);
                        plan.memory_gap = room && !memory.memory64 && !memory.shared;
                        plan.initial_pages = memory.initial;
                    }
                }
                Payload::ExportSection(section) => {
                    for export in section {
                        if ["cabi_realloc", ADAPTER_REALLOC].contains(&export?.name) {
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
        plan.memory_gap &= !lends_memory && memories == 1;
        // DWARF counts code offsets from the start of the code section, which begins with
        // the function count: one function more must not make its LEB128 longer.
        let functions = plan.defined + plan.checked.len() as u32;
        let width = |n: u32| (u32::BITS - n.leading_zeros()).max(1).div_ceil(7);
        plan.adapter_realloc =
            plan.memory_gap && (!plan.debug_info || width(functions) == width(functions + 1));
        Ok(plan)
    }

    /// The index of the wrapper of the `n`th checked transfer.
    fn wrapper(&self, n: usize) -> u32 {
        self.imported + self.defined + n as u32
    }

    /// The global holding [`ADAPTER_REALLOC`]'s next address, starting at the adapter's
    /// first page.
    fn adapter_global(&self, globals: &mut GlobalSection) {
        if self.adapter_realloc {
            let ty = wasm_encoder::GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            };
            let start = self.adapter_end() - 2 * PAGE_SIZE;
            globals.global(ty, &ConstExpr::i32_const(start as u32 as i32));
        }
    }

    /// The end of the adapter's pages: one page below the end of the initial memory.
    fn adapter_end(&self) -> u64 {
        (self.initial_pages + MEMORY_GAP_PAGES - 1) * PAGE_SIZE
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

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_type_section(self, types, section)?;
        if self.plan.adapter_realloc {
            types.ty().function([ValType::I32; 4], [ValType::I32]);
        }
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_global_section(self, globals, section)?;
        self.plan.adapter_global(globals);
        Ok(())
    }

    /// A module without a global section gets one for the allocator's global alone.
    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        // Where each section goes (tags and the data count are numbered out of order).
        let place = |id: SectionId| match id {
            SectionId::Tag => SectionId::Memory as u8 * 2 + 1,
            SectionId::DataCount => SectionId::Element as u8 * 2 + 1,
            id => id as u8 * 2,
        };
        let global = place(SectionId::Global);
        if after.is_none_or(|id| place(id) < global) && before.is_none_or(|id| place(id) > global) {
            let mut globals = GlobalSection::new();
            self.plan.adapter_global(&mut globals);
            if !globals.is_empty() {
                module.section(&globals);
            }
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_export_section(self, exports, section)?;
        if self.plan.adapter_realloc {
            let index = self.plan.wrapper(self.plan.checked.len());
            exports.export(ADAPTER_REALLOC, ExportKind::Func, index);
        }
        Ok(())
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
        if self.plan.adapter_realloc {
            functions.function(self.plan.types);
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
        if self.plan.adapter_realloc {
            code.function(&adapter_realloc(self.plan.globals, self.plan.adapter_end()));
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

/// [`ADAPTER_REALLOC`]: `(old_ptr, old_len, align, new_len) -> ptr`, new allocations only,
/// handed out upwards from the global `next` up to `end`; anything else traps, as the
/// `memory.grow` allocator wit-component gives the adapter otherwise does.
fn adapter_realloc(next: u32, end: u64) -> Function {
    use Instruction::*;
    let (old_ptr, old_len, align, len, at, to) = (0, 1, 2, 3, 4, 5);
    let mut f = Function::new([(2, ValType::I64)]);
    for instruction in [
        LocalGet(old_ptr),
        LocalGet(old_len),
        I32Or,
        If(wasm_encoder::BlockType::Empty),
        Unreachable,
        End,
        // at = (next + align - 1) & -align, and to = at + len, in i64 so that nothing wraps.
        GlobalGet(next),
        I64ExtendI32U,
        LocalGet(align),
        I64ExtendI32U,
        I64Add,
        I64Const(1),
        I64Sub,
        I64Const(0),
        LocalGet(align),
        I64ExtendI32U,
        I64Sub,
        I64And,
        LocalTee(at),
        LocalGet(len),
        I64ExtendI32U,
        I64Add,
        LocalTee(to),
        I64Const(end as i64),
        I64GtU,
        // An alignment that is no power of two can put `at` below `next`.
        LocalGet(at),
        GlobalGet(next),
        I64ExtendI32U,
        I64LtU,
        I32Or,
        If(wasm_encoder::BlockType::Empty),
        Unreachable,
        End,
        LocalGet(to),
        I32WrapI64,
        GlobalSet(next),
        LocalGet(at),
        I32WrapI64,
        End,
    ] {
        f.instruction(&instruction);
    }
    f
}
