//! The functions `wit_dylib.h` says the library exports: the entry points of every
//! exported function, and the push and pop of values between the glue and a [`Call`].

use crate::abi::{self, ExportFunc, ImportFunc, Wit};
use crate::handles;
use core::ffi::c_void;
use std::alloc::{alloc, dealloc, realloc, Layout};
use std::sync::OnceLock;
use wasm_rr_trace::any::codec;

/// The world the glue describes, read once at initialization.
pub struct World {
    pub wit: &'static Wit,
    pub imports: &'static [ImportFunc],
    pub exports: &'static [ExportFunc],
    /// For each export, the import of the same interface and function.
    pub import_of_export: Vec<usize>,
    pub resources: &'static [abi::Resource],
    /// For each resource, the host's (imported) resource of the same interface and name:
    /// the one that an exported resource, whose handles the app holds, stands for.
    pub import_of_resource: Vec<Option<usize>>,
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

/// One call into an export. Its values never exist as trees: each value the glue pushes
/// is encoded at once, in the trace's binary form (`wasm_rr_trace::any::codec`), and each
/// it pops is read from that form. So the arguments the app passed are the bytes the
/// trace holds, and a result the trace holds is read straight into the app.
///
/// The glue pushes a value's parts before the value (a record's fields, then the
/// record), and pops a value before its parts; both are in the order of the encoding, but
/// for a variant's case, which is pushed after its payload and goes in front of it.
pub struct Call {
    /// The values pushed, encoded.
    pushed: Vec<u8>,
    /// Where each value on the stack starts in `pushed`.
    starts: Vec<usize>,
    /// The values the glue pops, encoded, and where the next one starts.
    popped: Vec<u8>,
    at: usize,
    /// Canonical-ABI buffers that the glue lowered, freed when the call ends.
    deferred: Vec<(*mut u8, Layout)>,
    /// The export called, for messages.
    which: usize,
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
        self.pushed.clear();
        self.starts.clear();
        self.popped.clear();
        self.at = 0;
    }

    /// The values pushed so far, encoded: the export's arguments, or the import's result.
    pub fn pushed(&self) -> &[u8] {
        &self.pushed
    }

    /// The values being popped, encoded (the import's arguments, once they were handed to
    /// it).
    pub fn popped(&self) -> &[u8] {
        &self.popped
    }

    /// The glue pops next what it pushed: the export's arguments go to the import, the
    /// import's result to the export.
    pub fn pop_what_was_pushed(&mut self) {
        std::mem::swap(&mut self.pushed, &mut self.popped);
        self.pushed.clear();
        self.starts.clear();
        self.at = 0;
    }

    /// The glue pops next the values in `bytes` from `at` (a result the trace holds).
    pub fn pop_from(&mut self, bytes: Vec<u8>, at: usize) {
        self.popped = bytes;
        self.at = at;
    }

    /// A value begins at the end of what was pushed.
    fn begin(&mut self) -> &mut Vec<u8> {
        self.starts.push(self.pushed.len());
        &mut self.pushed
    }

    fn push_leb(&mut self, value: u64) {
        codec::leb(value, self.begin());
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        self.begin().extend_from_slice(bytes);
    }

    /// The last `n` values pushed are the parts of one.
    fn close(&mut self, n: usize) {
        let Some(first) = self.starts.len().checked_sub(n) else {
            fail("the glue pushed fewer parts than the value has");
        };
        let start = self.starts.get(first).copied().unwrap_or(self.pushed.len());
        self.starts.truncate(first);
        self.starts.push(start);
    }

    /// A case pushed after its payload (if `payload`): it goes in front.
    fn push_case(&mut self, case: u32, payload: bool) {
        if !payload {
            return self.push_leb(u64::from(case));
        }
        let Some(&start) = self.starts.last() else {
            fail("a case with no payload pushed");
        };
        let end = self.pushed.len();
        codec::leb(u64::from(case), &mut self.pushed);
        let case_len = self.pushed.len() - end;
        self.pushed[start..].rotate_right(case_len);
    }

    fn pop_leb(&mut self) -> u64 {
        codec::read_leb(&self.popped, &mut self.at).unwrap_or_else(|e| fail(e))
    }

    /// The next `len` bytes of what is popped.
    fn pop_bytes(&mut self, len: usize) -> &[u8] {
        match self.popped.get(self.at..self.at.saturating_add(len)) {
            Some(bytes) => {
                self.at += len;
                bytes
            }
            None => fail("the values popped end early"),
        }
    }

    fn pop_array<const N: usize>(&mut self) -> [u8; N] {
        let mut array = [0; N];
        array.copy_from_slice(self.pop_bytes(N));
        array
    }

    /// Stops the run on a handle the call cannot pass on.
    fn diverge(&self, why: String) -> ! {
        let function = crate::schema()
            .functions
            .get(self.which)
            .map_or("?", |function| function.name.as_str());
        crate::log::diverge(format!("{function}: {why}"))
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
    let import_of_resource = resources
        .iter()
        .map(|resource| {
            let (interface, name) = (abi::name(resource.interface), abi::name(resource.name));
            resources.iter().position(|import| {
                import.new.is_none()
                    && abi::name(import.interface) == interface
                    && abi::name(import.name) == name
            })
        })
        .collect();
    let _ = WORLD.set(World {
        wit,
        imports,
        exports,
        import_of_export,
        resources,
        import_of_resource,
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
extern "C" fn wit_dylib_export_start(which: usize) -> *mut c_void {
    let mut call = SPARE
        .with(|spare| spare.borrow_mut().pop())
        .unwrap_or_else(|| {
            Box::new(Call {
                pushed: Vec::new(),
                starts: Vec::new(),
                popped: Vec::new(),
                at: 0,
                deferred: Vec::new(),
                which,
            })
        });
    call.which = which;
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

macro_rules! leb_scalars {
    ($($push:ident $pop:ident $ty:ty: $encode:expr, $decode:expr;)*) => {$(
        #[no_mangle]
        extern "C" fn $push(cx: *mut c_void, value: $ty) {
            call(cx).push_leb($encode(value));
        }
        #[no_mangle]
        extern "C" fn $pop(cx: *mut c_void) -> $ty {
            $decode(call(cx).pop_leb())
        }
    )*};
}

// Values read back were encoded from their type, or checked against it (a trace's).
leb_scalars! {
    wit_dylib_push_char wit_dylib_pop_char u32: u64::from, |v| v as u32;
    wit_dylib_push_u16 wit_dylib_pop_u16 u16: u64::from, |v| v as u16;
    wit_dylib_push_u32 wit_dylib_pop_u32 u32: u64::from, |v| v as u32;
    wit_dylib_push_u64 wit_dylib_pop_u64 u64: u64::from, |v| v;
    wit_dylib_push_s16 wit_dylib_pop_s16 i16: |v| codec::zigzag(i64::from(v)), |v| codec::unzigzag(v) as i16;
    wit_dylib_push_s32 wit_dylib_pop_s32 i32: |v| codec::zigzag(i64::from(v)), |v| codec::unzigzag(v) as i32;
    wit_dylib_push_s64 wit_dylib_pop_s64 i64: codec::zigzag, codec::unzigzag;
}

macro_rules! byte_scalars {
    ($($push:ident $pop:ident $ty:ty: $encode:expr, $decode:expr;)*) => {$(
        #[no_mangle]
        extern "C" fn $push(cx: *mut c_void, value: $ty) {
            call(cx).push_bytes(&$encode(value));
        }
        #[no_mangle]
        extern "C" fn $pop(cx: *mut c_void) -> $ty {
            $decode(call(cx).pop_array())
        }
    )*};
}

byte_scalars! {
    wit_dylib_push_bool wit_dylib_pop_bool bool: |v| [u8::from(v)], |[v]: [u8; 1]| v != 0;
    wit_dylib_push_u8 wit_dylib_pop_u8 u8: |v| [v], |[v]: [u8; 1]| v;
    wit_dylib_push_s8 wit_dylib_pop_s8 i8: i8::to_le_bytes, i8::from_le_bytes;
    wit_dylib_push_f32 wit_dylib_pop_f32 f32: f32::to_le_bytes, f32::from_le_bytes;
    wit_dylib_push_f64 wit_dylib_pop_f64 f64: f64::to_le_bytes, f64::from_le_bytes;
}

macro_rules! indexed {
    ($($push:ident $pop:ident;)*) => {$(
        #[no_mangle]
        extern "C" fn $push(cx: *mut c_void, _ty: usize, value: u32) {
            call(cx).push_leb(u64::from(value));
        }
        #[no_mangle]
        extern "C" fn $pop(cx: *mut c_void, _ty: usize) -> u32 {
            call(cx).pop_leb() as u32
        }
    )*};
}

indexed! {
    wit_dylib_push_flags wit_dylib_pop_flags;
    wit_dylib_push_enum wit_dylib_pop_enum;
}

/// Handles are pushed and popped as the run's resource ids (see [`handles`]).
#[no_mangle]
extern "C" fn wit_dylib_push_own(cx: *mut c_void, ty: usize, handle: u32) {
    call(cx).push_leb(u64::from(handles::own_pushed(ty, handle)));
}

#[no_mangle]
extern "C" fn wit_dylib_push_borrow(cx: *mut c_void, ty: usize, handle: u32) {
    call(cx).push_leb(u64::from(handles::borrow_pushed(ty, handle)));
}

#[no_mangle]
extern "C" fn wit_dylib_pop_own(cx: *mut c_void, ty: usize) -> u32 {
    let cx = call(cx);
    let id = cx.pop_leb() as u32;
    handles::own_popped(ty, id).unwrap_or_else(|e| cx.diverge(e))
}

#[no_mangle]
extern "C" fn wit_dylib_pop_borrow(cx: *mut c_void, ty: usize) -> u32 {
    let cx = call(cx);
    let id = cx.pop_leb() as u32;
    handles::borrow_popped(ty, id).unwrap_or_else(|e| cx.diverge(e))
}

/// Takes over `len` bytes at `bytes` that `cabi_realloc` allocated (align 1): they are
/// pushed, with their length, then freed.
unsafe fn push_owned_bytes(cx: &mut Call, bytes: *mut u8, len: usize) {
    cx.push_leb(len as u64);
    if len != 0 {
        // SAFETY: the glue hands over `len` bytes at `bytes`.
        cx.pushed
            .extend_from_slice(core::slice::from_raw_parts(bytes, len));
        dealloc(bytes, Layout::from_size_align_unchecked(len, 1));
    }
}

#[no_mangle]
unsafe extern "C" fn wit_dylib_push_string(cx: *mut c_void, bytes: *mut u8, len: usize) {
    push_owned_bytes(call(cx), bytes, len);
}

/// Pops a length, then as many bytes, which the glue reads in place.
fn pop_in_place(cx: &mut Call, ptr: *mut *const u8) -> usize {
    let len = usize::try_from(cx.pop_leb()).unwrap_or_else(|_| fail("a length beyond memory"));
    let bytes = cx.pop_bytes(len).as_ptr();
    // SAFETY: the glue passes where it wants the pointer.
    unsafe { *ptr = bytes };
    len
}

#[no_mangle]
extern "C" fn wit_dylib_pop_string(cx: *mut c_void, ptr: *mut *const u8) -> usize {
    pop_in_place(call(cx), ptr)
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
    call(cx).close(fields(ty, abi::table(wit.records, wit.num_records)));
}

/// A record's or tuple's fields follow it.
#[no_mangle]
extern "C" fn wit_dylib_pop_record(_cx: *mut c_void, _ty: usize) {}

#[no_mangle]
extern "C" fn wit_dylib_push_tuple(cx: *mut c_void, ty: usize) {
    let wit = world().wit;
    let n = match abi::table(wit.tuples, wit.num_tuples).get(ty) {
        Some(tuple) => tuple.ntypes,
        None => fail("no such tuple"),
    };
    call(cx).close(n);
}

#[no_mangle]
extern "C" fn wit_dylib_pop_tuple(_cx: *mut c_void, _ty: usize) {}

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

#[no_mangle]
extern "C" fn wit_dylib_push_option(cx: *mut c_void, ty: usize, discr: u32) {
    call(cx).push_case(discr, has_payload(abi::OPTION, ty, discr))
}

#[no_mangle]
extern "C" fn wit_dylib_push_result(cx: *mut c_void, ty: usize, discr: u32) {
    call(cx).push_case(discr, has_payload(abi::RESULT, ty, discr))
}

#[no_mangle]
extern "C" fn wit_dylib_push_variant(cx: *mut c_void, ty: usize, discr: u32) {
    call(cx).push_case(discr, has_payload(abi::VARIANT, ty, discr))
}

/// A case; its payload, if any, follows.
fn pop_case(cx: *mut c_void) -> u32 {
    call(cx).pop_leb() as u32
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

/// A list's length, then (but for bytes, taken whole) its elements, each pushed then
/// appended.
#[no_mangle]
unsafe extern "C" fn wit_dylib_push_list(
    cx: *mut c_void,
    ty: usize,
    bytes: *mut u8,
    len: usize,
) -> bool {
    let cx = call(cx);
    if is_bytes(ty) {
        push_owned_bytes(cx, bytes, len);
        return true;
    }
    cx.push_leb(len as u64);
    false
}

/// An element follows the list's length: it is no value of its own on the stack.
#[no_mangle]
extern "C" fn wit_dylib_list_append(cx: *mut c_void, _ty: usize) {
    let cx = call(cx);
    if cx.starts.len() < 2 {
        fail("list_append: no list");
    }
    cx.starts.pop();
}

/// A list's length, then its elements: bytes in place, others one by one as they follow.
#[no_mangle]
extern "C" fn wit_dylib_pop_list(cx: *mut c_void, ty: usize, ptr: *mut *const u8) -> usize {
    let cx = call(cx);
    if is_bytes(ty) {
        return pop_in_place(cx, ptr);
    }
    // SAFETY: the glue passes where it wants the pointer; null says "one by one".
    unsafe { *ptr = core::ptr::null() };
    usize::try_from(cx.pop_leb()).unwrap_or_else(|_| fail("a length beyond memory"))
}

#[no_mangle]
extern "C" fn wit_dylib_pop_list_iter_next(_cx: *mut c_void, _ty: usize) {}

#[no_mangle]
extern "C" fn wit_dylib_pop_list_iter(_cx: *mut c_void, _ty: usize) {}

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
