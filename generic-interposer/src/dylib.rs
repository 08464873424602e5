//! The functions `wit_dylib.h` says the library exports: the entry points of every
//! exported function, and the push and pop of values between the glue and a [`Call`].

use crate::abi::{self, ExportFunc, ImportFunc, Wit};
use core::ffi::c_void;
use std::alloc::{alloc, dealloc, realloc, Layout};
use std::sync::OnceLock;
use wasm_rr_trace::any::Value;

/// The world the glue describes, read once at initialization.
pub struct World {
    pub wit: &'static Wit,
    pub imports: &'static [ImportFunc],
    pub exports: &'static [ExportFunc],
    /// For each export, the import of the same interface and function.
    pub import_of_export: Vec<usize>,
    pub resources: &'static [abi::Resource],
    /// Each resource by `interface#name`: its index as imported (the host's) and as
    /// exported (the generic interposer's own, whose handles the app holds).
    pub resource_sides: std::collections::HashMap<String, Sides>,
}

/// A resource's two sides (indexes into [`World::resources`]).
#[derive(Default, Clone, Copy, Debug)]
pub struct Sides {
    pub import: Option<usize>,
    pub export: Option<usize>,
}

// SAFETY: wasm32-unknown-unknown has one thread; the tables are never written.
unsafe impl Sync for World {}
unsafe impl Send for World {}

static WORLD: OnceLock<World> = OnceLock::new();

pub fn world() -> &'static World {
    match WORLD.get() {
        Some(world) => world,
        None => fail("the glue did not initialize the generic interposer"),
    }
}

/// Stops the guest: a state the glue never creates, or an import the generic interposer
/// does not handle (yet). The host says `why`.
pub fn fail(why: &str) -> ! {
    crate::bindings::rr::log::log::diverged(&format!("the generic interposer: {why}"));
    std::process::abort()
}

/// What a call's stack holds: values, and the lists being taken apart element by element.
enum Slot {
    Value(Value),
    Elements(std::vec::IntoIter<Value>),
}

/// One call into an export: its values, and the memory the glue reads until it ends.
pub struct Call {
    stack: Vec<Slot>,
    /// Canonical-ABI buffers that the glue lowered, freed when the call ends.
    deferred: Vec<(*mut u8, Layout)>,
    /// Values the glue popped but still reads (strings and byte lists lowered in place).
    kept: Vec<Value>,
}

impl Drop for Call {
    fn drop(&mut self) {
        self.free();
    }
}

impl Call {
    /// Frees what the call held, keeping its buffers for the next call.
    fn free(&mut self) {
        for (ptr, layout) in self.deferred.drain(..) {
            // SAFETY: allocated by `cabi_realloc` with this layout, handed over once.
            unsafe { dealloc(ptr, layout) };
        }
        self.stack.clear();
        self.kept.clear();
    }

    fn push(&mut self, value: Value) {
        self.stack.push(Slot::Value(value));
    }

    fn pop(&mut self) -> Value {
        match self.stack.pop() {
            Some(Slot::Value(value)) => value,
            _ => fail("the glue popped a value that is not there"),
        }
    }

    fn pop_n(&mut self, n: usize) -> Vec<Value> {
        if n > self.stack.len() {
            fail("the glue popped more fields than it pushed");
        }
        let at = self.stack.len() - n;
        self.stack
            .drain(at..)
            .map(|slot| match slot {
                Slot::Value(value) => value,
                Slot::Elements(_) => fail("a field is a list being lowered"),
            })
            .collect()
    }

    /// Pushes `fields` so that the first is on top.
    fn push_fields(&mut self, fields: Vec<Value>) {
        self.stack.extend(fields.into_iter().rev().map(Slot::Value));
    }

    /// The top `n` values, first to last, as the export's glue pushed them.
    pub fn take_args(&mut self, n: usize) -> Vec<Value> {
        self.pop_n(n)
    }

    /// Puts `args` where an import's glue pops them: the first on top.
    pub fn give_args(&mut self, args: Vec<Value>) {
        self.push_fields(args)
    }

    /// The result an import's glue pushed.
    pub fn take_result(&mut self) -> Value {
        self.pop()
    }

    /// Puts the result where the export's glue pops it.
    pub fn give_result(&mut self, value: Value) {
        self.push(value)
    }
}

fn call<'a>(cx: *mut c_void) -> &'a mut Call {
    // SAFETY: `cx` is the `Call` that `wit_dylib_export_start` handed to the glue, alive
    // until `wit_dylib_export_finish`.
    unsafe { &mut *(cx as *mut Call) }
}

#[no_mangle]
extern "C" fn wit_dylib_initialize(wit: *const Wit) {
    // SAFETY: the glue's tables live for the whole program.
    let wit: &'static Wit = unsafe { &*wit };
    if wit.version != abi::WIT_CURRENT_VERSION {
        fail("the glue was made by another version of wit-dylib");
    }
    let imports = abi::table(wit.import_funcs, wit.num_import_funcs);
    let exports = abi::table(wit.export_funcs, wit.num_export_funcs);
    let import_of_export = exports
        .iter()
        .map(|export| {
            let (interface, name) = (abi::name(export.interface), abi::name(export.name));
            imports
                .iter()
                .position(|import| {
                    abi::name(import.interface) == interface && abi::name(import.name) == name
                })
                .unwrap_or_else(|| fail("an export with no matching import"))
        })
        .collect();
    let resources = abi::table(wit.resources, wit.num_resources);
    let mut resource_sides = std::collections::HashMap::<String, Sides>::new();
    for (index, resource) in resources.iter().enumerate() {
        let name = format!(
            "{}#{}",
            abi::name(resource.interface),
            abi::name(resource.name)
        );
        let sides = resource_sides.entry(name).or_default();
        if resource.new.is_some() {
            sides.export = Some(index);
        } else {
            sides.import = Some(index);
        }
    }
    let _ = WORLD.set(World {
        wit,
        imports,
        exports,
        import_of_export,
        resources,
        resource_sides,
    });
}

#[no_mangle]
unsafe extern "C" fn cabi_realloc(
    old: *mut u8,
    old_size: usize,
    align: usize,
    new_size: usize,
) -> *mut u8 {
    if new_size == 0 {
        if old_size != 0 {
            dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8;
    }
    let ptr = if old_size == 0 {
        alloc(Layout::from_size_align_unchecked(new_size, align))
    } else {
        realloc(
            old,
            Layout::from_size_align_unchecked(old_size, align),
            new_size,
        )
    };
    if ptr.is_null() {
        fail("out of memory");
    }
    ptr
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_dealloc_bytes(
    cx: *mut c_void,
    ptr: *mut u8,
    size: usize,
    align: usize,
    defer: bool,
) {
    if size == 0 {
        return;
    }
    let layout = Layout::from_size_align_unchecked(size, align);
    if defer {
        call(cx).deferred.push((ptr, layout));
    } else {
        dealloc(ptr, layout);
    }
}

thread_local! {
    /// Calls finished, kept with their buffers for the next ones: a call allocates
    /// nothing for its stack in the steady state. Boxed: each is handed to the glue as a
    /// pointer, and the box is reused too.
    #[allow(clippy::vec_box)]
    static SPARE: std::cell::RefCell<Vec<Box<Call>>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[no_mangle]
extern "C" fn wit_dylib_export_start(_which: usize) -> *mut c_void {
    let call = SPARE
        .with(|spare| spare.borrow_mut().pop())
        .unwrap_or_else(|| {
            Box::new(Call {
                stack: Vec::new(),
                deferred: Vec::new(),
                kept: Vec::new(),
            })
        });
    Box::into_raw(call) as *mut c_void
}

#[no_mangle]
extern "C" fn wit_dylib_export_call(cx: *mut c_void, which: usize) {
    crate::interpose(call(cx), which);
}

#[no_mangle]
extern "C" fn wit_dylib_export_finish(cx: *mut c_void, _which: usize) {
    // SAFETY: the `Call` of `wit_dylib_export_start`, finished once.
    let mut call = unsafe { Box::from_raw(cx as *mut Call) };
    call.free();
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < 4 {
            spare.push(call);
        }
    });
}

#[no_mangle]
extern "C" fn wit_dylib_export_async_call(_cx: *mut c_void, _which: usize) -> u32 {
    fail("async exports are not interposed yet")
}

#[no_mangle]
extern "C" fn wit_dylib_export_async_callback(_: u32, _: u32, _: u32, _: u32) -> u32 {
    fail("async exports are not interposed yet")
}

#[no_mangle]
extern "C" fn wit_dylib_resource_dtor(ty: usize, rep: usize) {
    crate::handles::dropped(ty, rep);
}

/// Calls import `which` with `cx`, whose stack holds its arguments, first on top.
pub fn call_import(cx: &mut Call, which: usize) {
    match world().imports[which].impl_ {
        // SAFETY: the glue's import adapter, given the call it pops from and pushes to.
        Some(import) => unsafe { import(cx as *mut Call as *mut c_void) },
        None => fail("async imports are not interposed yet"),
    }
}

macro_rules! scalars {
    ($($push:ident $pop:ident $ty:ty => $variant:ident;)*) => {$(
        #[no_mangle]
        extern "C" fn $push(cx: *mut c_void, value: $ty) {
            call(cx).push(Value::$variant(value));
        }
        #[no_mangle]
        extern "C" fn $pop(cx: *mut c_void) -> $ty {
            match call(cx).pop() {
                Value::$variant(value) => value,
                _ => fail(concat!(stringify!($pop), ": another type")),
            }
        }
    )*};
}

scalars! {
    wit_dylib_push_bool wit_dylib_pop_bool bool => Bool;
    wit_dylib_push_char wit_dylib_pop_char u32 => Char;
    wit_dylib_push_u8 wit_dylib_pop_u8 u8 => U8;
    wit_dylib_push_s8 wit_dylib_pop_s8 i8 => S8;
    wit_dylib_push_u16 wit_dylib_pop_u16 u16 => U16;
    wit_dylib_push_s16 wit_dylib_pop_s16 i16 => S16;
    wit_dylib_push_u32 wit_dylib_pop_u32 u32 => U32;
    wit_dylib_push_s32 wit_dylib_pop_s32 i32 => S32;
    wit_dylib_push_u64 wit_dylib_pop_u64 u64 => U64;
    wit_dylib_push_s64 wit_dylib_pop_s64 i64 => S64;
    wit_dylib_push_f32 wit_dylib_pop_f32 f32 => F32;
    wit_dylib_push_f64 wit_dylib_pop_f64 f64 => F64;
}

macro_rules! indexed {
    ($($push:ident $pop:ident => $variant:ident;)*) => {$(
        #[no_mangle]
        extern "C" fn $push(cx: *mut c_void, _ty: usize, value: u32) {
            call(cx).push(Value::$variant(value));
        }
        #[no_mangle]
        extern "C" fn $pop(cx: *mut c_void, _ty: usize) -> u32 {
            match call(cx).pop() {
                Value::$variant(value) => value,
                _ => fail(concat!(stringify!($pop), ": another type")),
            }
        }
    )*};
}

indexed! {
    wit_dylib_push_flags wit_dylib_pop_flags => Flags;
    wit_dylib_push_enum wit_dylib_pop_enum => Enum;
    wit_dylib_push_own wit_dylib_pop_own => Own;
    wit_dylib_push_borrow wit_dylib_pop_borrow => Borrow;
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_push_string(cx: *mut c_void, bytes: *mut u8, len: usize) {
    let string = if len == 0 {
        String::new()
    } else {
        // SAFETY: `cabi_realloc` allocated `len` bytes (align 1), which the glue hands
        // over; the canonical ABI checked they are UTF-8.
        String::from_utf8_unchecked(Vec::from_raw_parts(bytes, len, len))
    };
    call(cx).push(Value::String(string));
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_pop_string(cx: *mut c_void, ptr: *mut *const u8) -> usize {
    let cx = call(cx);
    match cx.pop() {
        Value::String(string) => {
            *ptr = string.as_ptr();
            let len = string.len();
            cx.kept.push(Value::String(string));
            len
        }
        _ => fail("pop_string: another type"),
    }
}

fn fields(ty: usize, table: &'static [abi::Record]) -> usize {
    match table.get(ty) {
        Some(record) => record.nfields,
        None => fail("no such record"),
    }
}

#[no_mangle]
extern "C" fn wit_dylib_push_record(cx: *mut c_void, ty: usize) {
    let wit = world().wit;
    let n = fields(ty, abi::table(wit.records, wit.num_records));
    let cx = call(cx);
    let fields = cx.pop_n(n);
    cx.push(Value::Record(fields));
}

#[no_mangle]
extern "C" fn wit_dylib_pop_record(cx: *mut c_void, _ty: usize) {
    let cx = call(cx);
    match cx.pop() {
        Value::Record(fields) => cx.push_fields(fields),
        _ => fail("pop_record: another type"),
    }
}

#[no_mangle]
extern "C" fn wit_dylib_push_tuple(cx: *mut c_void, ty: usize) {
    let wit = world().wit;
    let n = match abi::table(wit.tuples, wit.num_tuples).get(ty) {
        Some(tuple) => tuple.ntypes,
        None => fail("no such tuple"),
    };
    let cx = call(cx);
    let fields = cx.pop_n(n);
    cx.push(Value::Tuple(fields));
}

#[no_mangle]
extern "C" fn wit_dylib_pop_tuple(cx: *mut c_void, _ty: usize) {
    let cx = call(cx);
    match cx.pop() {
        Value::Tuple(fields) => cx.push_fields(fields),
        _ => fail("pop_tuple: another type"),
    }
}

/// Whether case `discr` of a variant-like type `ty` (kind `kind`) has a payload.
fn has_payload(kind: u32, ty: usize, discr: u32) -> bool {
    let wit = world().wit;
    let payload = match kind {
        abi::OPTION => return discr == 1,
        abi::RESULT => match abi::table(wit.results, wit.num_results).get(ty) {
            Some(result) if discr == 0 => result.ok,
            Some(result) => result.err,
            None => fail("no such result"),
        },
        _ => match abi::table(wit.variants, wit.num_variants)
            .get(ty)
            .and_then(|variant| abi::table(variant.cases, variant.ncases).get(discr as usize))
        {
            Some(case) => case.ty,
            None => fail("no such variant case"),
        },
    };
    !abi::is_empty(payload)
}

fn push_case(cx: *mut c_void, kind: u32, ty: usize, discr: u32) {
    let cx = call(cx);
    let payload = has_payload(kind, ty, discr).then(|| Box::new(cx.pop()));
    cx.push(Value::Variant(discr, payload));
}

fn pop_case(cx: *mut c_void) -> u32 {
    let cx = call(cx);
    match cx.pop() {
        Value::Variant(discr, payload) => {
            if let Some(payload) = payload {
                cx.push(*payload);
            }
            discr
        }
        _ => fail("pop of a variant: another type"),
    }
}

#[no_mangle]
extern "C" fn wit_dylib_push_option(cx: *mut c_void, ty: usize, discr: u32) {
    push_case(cx, abi::OPTION, ty, discr)
}

#[no_mangle]
extern "C" fn wit_dylib_push_result(cx: *mut c_void, ty: usize, discr: u32) {
    push_case(cx, abi::RESULT, ty, discr)
}

#[no_mangle]
extern "C" fn wit_dylib_push_variant(cx: *mut c_void, ty: usize, discr: u32) {
    push_case(cx, abi::VARIANT, ty, discr)
}

#[no_mangle]
extern "C" fn wit_dylib_pop_option(cx: *mut c_void, _ty: usize) -> u32 {
    pop_case(cx)
}

#[no_mangle]
extern "C" fn wit_dylib_pop_result(cx: *mut c_void, _ty: usize) -> u32 {
    pop_case(cx)
}

#[no_mangle]
extern "C" fn wit_dylib_pop_variant(cx: *mut c_void, _ty: usize) -> u32 {
    pop_case(cx)
}

/// Whether list type `ty` holds bytes, which stay in their canonical layout.
fn is_bytes(ty: usize) -> bool {
    let wit = world().wit;
    match abi::table(wit.lists, wit.num_lists).get(ty) {
        Some(list) => matches!(abi::kind(list.ty), abi::U8 | abi::S8),
        None => fail("no such list"),
    }
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_push_list(
    cx: *mut c_void,
    ty: usize,
    bytes: *mut u8,
    len: usize,
) -> bool {
    let cx = call(cx);
    if is_bytes(ty) {
        let bytes = if len == 0 {
            Vec::new()
        } else {
            // SAFETY: `cabi_realloc` allocated `len` bytes (align 1), handed over to us.
            Vec::from_raw_parts(bytes, len, len)
        };
        cx.push(Value::Bytes(bytes));
        return true;
    }
    // The length is the guest's word: reserve a bounded amount, grow as elements come.
    cx.push(Value::List(Vec::with_capacity(len.min(1024))));
    false
}

#[no_mangle]
extern "C" fn wit_dylib_list_append(cx: *mut c_void, _ty: usize) {
    let cx = call(cx);
    let element = cx.pop();
    match cx.stack.last_mut() {
        Some(Slot::Value(Value::List(list))) => list.push(element),
        _ => fail("list_append: no list"),
    }
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_pop_list(cx: *mut c_void, _ty: usize, ptr: *mut *const u8) -> usize {
    let cx = call(cx);
    match cx.pop() {
        Value::Bytes(bytes) => {
            *ptr = bytes.as_ptr();
            let len = bytes.len();
            cx.kept.push(Value::Bytes(bytes));
            len
        }
        Value::List(list) => {
            *ptr = core::ptr::null();
            let len = list.len();
            cx.stack.push(Slot::Elements(list.into_iter()));
            len
        }
        _ => fail("pop_list: another type"),
    }
}

#[no_mangle]
extern "C" fn wit_dylib_pop_list_iter_next(cx: *mut c_void, _ty: usize) {
    let cx = call(cx);
    let element = match cx.stack.last_mut() {
        Some(Slot::Elements(elements)) => elements.next(),
        _ => None,
    };
    match element {
        Some(element) => cx.push(element),
        None => fail("pop_list_iter_next: no element"),
    }
}

#[no_mangle]
extern "C" fn wit_dylib_pop_list_iter(cx: *mut c_void, _ty: usize) {
    match call(cx).stack.pop() {
        Some(Slot::Elements(_)) => {}
        _ => fail("pop_list_iter: no list"),
    }
}

macro_rules! unsupported {
    ($($name:ident($($arg:ty),*) $(-> $ret:ty)?;)*) => {$(
        #[no_mangle]
        extern "C" fn $name($(_: $arg),*) $(-> $ret)? {
            fail(concat!(stringify!($name), ": not interposed yet"))
        }
    )*};
}

unsupported! {
    wit_dylib_push_map(*mut c_void, usize, usize);
    wit_dylib_map_append(*mut c_void, usize);
    wit_dylib_pop_map(*mut c_void, usize) -> usize;
    wit_dylib_pop_map_iter_next(*mut c_void, usize);
    wit_dylib_pop_map_iter(*mut c_void, usize);
    wit_dylib_push_future(*mut c_void, usize, u32);
    wit_dylib_pop_future(*mut c_void, usize) -> u32;
    wit_dylib_push_stream(*mut c_void, usize, u32);
    wit_dylib_pop_stream(*mut c_void, usize) -> u32;
}
