//! The data structures of `wit_dylib.h` (wit-dylib 0.258, `WIT_CURRENT_VERSION` 3): the
//! type tables that the generated glue hands to `wit_dylib_initialize`.

#![allow(dead_code)]

use core::ffi::{c_char, c_void, CStr};

pub const WIT_CURRENT_VERSION: u32 = 3;

pub type WitType = u32;

pub const U8: u32 = 0;
pub const U16: u32 = 1;
pub const U32: u32 = 2;
pub const U64: u32 = 3;
pub const S8: u32 = 4;
pub const S16: u32 = 5;
pub const S32: u32 = 6;
pub const S64: u32 = 7;
pub const BOOL: u32 = 8;
pub const CHAR: u32 = 9;
pub const F32: u32 = 10;
pub const F64: u32 = 11;
pub const STRING: u32 = 12;
pub const ERROR_CONTEXT: u32 = 13;
pub const RECORD: u32 = 14;
pub const OWN: u32 = 15;
pub const BORROW: u32 = 16;
pub const FLAGS: u32 = 17;
pub const TUPLE: u32 = 18;
pub const VARIANT: u32 = 19;
pub const ENUM: u32 = 20;
pub const OPTION: u32 = 21;
pub const RESULT: u32 = 22;
pub const LIST: u32 = 23;
pub const MAP: u32 = 24;
pub const FIXED_LENGTH_LIST: u32 = 25;
pub const FUTURE: u32 = 26;
pub const STREAM: u32 = 27;
pub const ALIAS: u32 = 28;
pub const EMPTY: u32 = 0xff;

pub fn kind(ty: WitType) -> u32 {
    ty & 0xff
}

/// Whether `ty` is no type: a case without a payload, a function without a result.
pub fn is_empty(ty: WitType) -> bool {
    kind(ty) == EMPTY
}

pub fn index(ty: WitType) -> usize {
    (ty >> 8) as usize
}

pub type ImportFn = unsafe extern "C" fn(cx: *mut c_void);

#[repr(C)]
pub struct ImportFunc {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub impl_: Option<ImportFn>,
    pub async_impl: *const c_void,
    pub async_lift_impl: *const c_void,
    pub nparams: usize,
    pub params: *const WitType,
    pub result: WitType,
    pub async_abi_area_size: usize,
    pub async_abi_area_align: usize,
}

#[repr(C)]
pub struct ExportFunc {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub task_return: *const c_void,
    pub nparams: usize,
    pub params: *const WitType,
    pub result: WitType,
}

#[repr(C)]
pub struct Resource {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub drop: Option<unsafe extern "C" fn(u32)>,
    pub new: Option<unsafe extern "C" fn(usize) -> u32>,
    pub rep: Option<unsafe extern "C" fn(u32) -> usize>,
}

#[repr(C)]
pub struct Field {
    pub name: *const c_char,
    pub ty: WitType,
}

#[repr(C)]
pub struct Record {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub nfields: usize,
    pub fields: *const Field,
}

#[repr(C)]
pub struct Names {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub nnames: usize,
    pub names: *const *const c_char,
}

#[repr(C)]
pub struct Tuple {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub ntypes: usize,
    pub types: *const WitType,
}

#[repr(C)]
pub struct Case {
    pub name: *const c_char,
    pub ty: WitType,
}

#[repr(C)]
pub struct Variant {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub ncases: usize,
    pub cases: *const Case,
}

#[repr(C)]
pub struct OneType {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub ty: WitType,
}

#[repr(C)]
pub struct ResultType {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub ok: WitType,
    pub err: WitType,
}

#[repr(C)]
pub struct Map {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub key: WitType,
    pub value: WitType,
}

#[repr(C)]
pub struct FixedLengthList {
    pub interface: *const c_char,
    pub name: *const c_char,
    pub size: usize,
    pub ty: WitType,
}

#[repr(C)]
pub struct Wit {
    pub version: u32,
    pub num_import_funcs: usize,
    pub import_funcs: *const ImportFunc,
    pub num_export_funcs: usize,
    pub export_funcs: *const ExportFunc,
    pub num_resources: usize,
    pub resources: *const Resource,
    pub num_records: usize,
    pub records: *const Record,
    pub num_flags: usize,
    pub flags: *const Names,
    pub num_tuples: usize,
    pub tuples: *const Tuple,
    pub num_variants: usize,
    pub variants: *const Variant,
    pub num_enums: usize,
    pub enums: *const Names,
    pub num_options: usize,
    pub options: *const OneType,
    pub num_results: usize,
    pub results: *const ResultType,
    pub num_lists: usize,
    pub lists: *const OneType,
    pub num_maps: usize,
    pub maps: *const Map,
    pub num_fixed_length_lists: usize,
    pub fixed_length_lists: *const FixedLengthList,
    pub num_futures: usize,
    pub futures: *const c_void,
    pub num_streams: usize,
    pub streams: *const c_void,
    pub num_aliases: usize,
    pub aliases: *const OneType,
}

/// A table of `wit_t` as a slice (the glue's data lives as long as the program).
pub fn table<T>(ptr: *const T, len: usize) -> &'static [T] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: the glue hands out `len` entries at `ptr`, alive for the whole program.
        unsafe { core::slice::from_raw_parts(ptr, len) }
    }
}

/// A name from the tables ("" for none).
pub fn name(ptr: *const c_char) -> &'static str {
    if ptr.is_null() {
        return "";
    }
    // SAFETY: the glue's names are NUL-terminated UTF-8 (WIT identifiers), never freed.
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap_or("")
}
