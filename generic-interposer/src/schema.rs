//! The trace's [`Schema`] of the interposed functions, read from the glue's type tables.

use crate::abi::{self, Wit, WitType as AbiType};
use crate::dylib::{fail, World};
use wasm_rr_trace::any::{Function, Schema, WitType};

/// The schema of `world`: its exports, in order, each named as its import is; then the
/// drop of each resource the app holds (`interface#[resource-drop]name`).
pub fn of(world: &World) -> Schema {
    let drops = world
        .resources
        .iter()
        .filter(|resource| resource.new.is_some())
        .map(|resource| {
            let interface = abi::name(resource.interface);
            let name = abi::name(resource.name);
            Function {
                name: drop_name(interface, name),
                params: vec![WitType::Own(format!("{interface}#{name}"))],
                result: None,
            }
        });
    Schema {
        functions: world
            .exports
            .iter()
            .map(|export| {
                let interface = abi::name(export.interface);
                let name = abi::name(export.name);
                Function {
                    name: if interface.is_empty() {
                        name.to_string()
                    } else {
                        format!("{interface}#{name}")
                    },
                    params: abi::table(export.params, export.nparams)
                        .iter()
                        .map(|ty| wit_type(world.wit, *ty))
                        .collect(),
                    result: (!abi::is_empty(export.result))
                        .then(|| wit_type(world.wit, export.result)),
                }
            })
            .chain(drops)
            .collect(),
    }
}

/// The name of the drop of resource `name` of `interface` in the schema.
pub fn drop_name(interface: &str, name: &str) -> String {
    format!("{interface}#[resource-drop]{name}")
}

fn wit_type(wit: &Wit, ty: AbiType) -> WitType {
    let index = abi::index(ty);
    let names = |names: *const *const core::ffi::c_char, n: usize| -> Vec<String> {
        abi::table(names, n)
            .iter()
            .map(|name| abi::name(*name).to_string())
            .collect()
    };
    let optional = |ty: AbiType| (!abi::is_empty(ty)).then(|| Box::new(wit_type(wit, ty)));
    let resource = |index: usize| match abi::table(wit.resources, wit.num_resources).get(index) {
        Some(resource) => format!(
            "{}#{}",
            abi::name(resource.interface),
            abi::name(resource.name)
        ),
        None => fail("no such resource"),
    };
    macro_rules! entry {
        ($table:ident, $count:ident) => {
            match abi::table(wit.$table, wit.$count).get(index) {
                Some(entry) => entry,
                None => fail(concat!("no such ", stringify!($table))),
            }
        };
    }
    match abi::kind(ty) {
        abi::BOOL => WitType::Bool,
        abi::U8 => WitType::U8,
        abi::U16 => WitType::U16,
        abi::U32 => WitType::U32,
        abi::U64 => WitType::U64,
        abi::S8 => WitType::S8,
        abi::S16 => WitType::S16,
        abi::S32 => WitType::S32,
        abi::S64 => WitType::S64,
        abi::F32 => WitType::F32,
        abi::F64 => WitType::F64,
        abi::CHAR => WitType::Char,
        abi::STRING => WitType::String,
        abi::LIST => WitType::List(Box::new(wit_type(wit, entry!(lists, num_lists).ty))),
        abi::OPTION => WitType::Option(Box::new(wit_type(wit, entry!(options, num_options).ty))),
        abi::RESULT => {
            let result = entry!(results, num_results);
            WitType::Result(optional(result.ok), optional(result.err))
        }
        abi::RECORD => {
            let record = entry!(records, num_records);
            WitType::Record(
                abi::table(record.fields, record.nfields)
                    .iter()
                    .map(|field| (abi::name(field.name).to_string(), wit_type(wit, field.ty)))
                    .collect(),
            )
        }
        abi::TUPLE => {
            let tuple = entry!(tuples, num_tuples);
            WitType::Tuple(
                abi::table(tuple.types, tuple.ntypes)
                    .iter()
                    .map(|ty| wit_type(wit, *ty))
                    .collect(),
            )
        }
        abi::VARIANT => {
            let variant = entry!(variants, num_variants);
            WitType::Variant(
                abi::table(variant.cases, variant.ncases)
                    .iter()
                    .map(|case| {
                        let payload = (!abi::is_empty(case.ty)).then(|| wit_type(wit, case.ty));
                        (abi::name(case.name).to_string(), payload)
                    })
                    .collect(),
            )
        }
        abi::FLAGS => {
            let flags = entry!(flags, num_flags);
            WitType::Flags(names(flags.names, flags.nnames))
        }
        abi::ENUM => {
            let enum_ = entry!(enums, num_enums);
            WitType::Enum(names(enum_.names, enum_.nnames))
        }
        abi::OWN => WitType::Own(resource(index)),
        abi::BORROW => WitType::Borrow(resource(index)),
        abi::ALIAS => wit_type(wit, entry!(aliases, num_aliases).ty),
        _ => fail("a type the generic interposer does not record (yet)"),
    }
}
