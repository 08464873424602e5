//! The generic interposer in front of the app's imports that the WASI interposer does not
//! serve: made at compose time from the app's own WIT.
//!
//! `wit-dylib` turns a world that imports and exports those interfaces into glue (a
//! shared-everything core module) that hands every call, as values, to one C ABI; the
//! generic interposer's library, compiled once and committed, implements that ABI (see
//! `generic-interposer/`). `wit_component::Linker` links the two into a component.

use anyhow::{bail, Context, Result};
use wit_component::{DecodedWasm, StringEncoding};
use wit_parser::{
    Function, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner, WorldId,
    WorldItem, WorldKey,
};

/// The generic interposer of `interfaces` (full names, imported by `app`), and its world.
pub struct Generic {
    pub component: Vec<u8>,
    pub resolve: Resolve,
    pub world: WorldId,
    /// What it imports (and exports): the app's interfaces and functions at its world's
    /// root, and the interfaces whose types they use.
    pub imports: Vec<String>,
}

/// Builds the generic interposer for `interfaces` of `app`, linking `library` (the
/// generic interposer's shared library) with glue for them; `wasi` tells whether an
/// interface is the WASI interposer's, whose types the generic one cannot share (yet).
pub fn interposer(
    app: &[u8],
    interfaces: &[String],
    library: &[u8],
    wasi: impl Fn(&str) -> bool,
) -> Result<Generic> {
    let DecodedWasm::Component(mut resolve, app_world) =
        wit_component::decode(app).context("reading the app's WIT")?
    else {
        bail!("the app is not a component");
    };
    let mut ids = Vec::new();
    let mut functions = Vec::new();
    for (key, item) in &resolve.worlds[app_world].imports {
        match (key, item) {
            (WorldKey::Interface(id), WorldItem::Interface { .. })
                if interfaces.contains(&resolve.id_of(*id).unwrap_or_default()) =>
            {
                ids.push(*id);
            }
            (WorldKey::Name(name), WorldItem::Function(function)) if interfaces.contains(name) => {
                let function = root_function(&resolve, function)?;
                for ty in function_types(&function) {
                    interfaces_of(&resolve, ty, &mut ids);
                }
                functions.push(function);
            }
            (WorldKey::Name(name), WorldItem::Interface { .. }) if interfaces.contains(name) => {
                bail!(
                    "the app imports the unnamed interface `{name}`, which wasm-rr cannot \
                     record (yet): only interfaces of a package"
                )
            }
            _ => {}
        }
    }
    // The interfaces whose types they use are interposed with them (an exported
    // interface's types are the exported ones).
    let mut next = 0;
    while next < ids.len() {
        for dep in resolve.interface_direct_deps(ids[next]) {
            let name = resolve.id_of(dep).unwrap_or_default();
            if wasi(&name) {
                bail!(
                    "the app imports `{}`, which uses types of `{name}`: wasm-rr cannot record \
                     such an interface (yet)",
                    resolve.id_of(ids[next]).unwrap_or_default()
                );
            }
            if !ids.contains(&dep) {
                ids.push(dep);
            }
        }
        next += 1;
    }
    for &id in &ids {
        check_types(&resolve, id)?;
    }
    let interfaces: Vec<String> = ids
        .iter()
        .map(|&id| resolve.id_of(id).unwrap_or_default())
        .collect();
    let body: String = interfaces
        .iter()
        .map(|name| format!("  import {name};\n  export {name};\n"))
        .collect();
    let source = format!("package wasm-rr:generic;\n\nworld interposed {{\n{body}}}\n");
    let package = resolve.push_str("generic.wit", &source)?;
    let world = resolve.select_world(&[package], Some("interposed"))?;
    let mut imports = interfaces;
    imports.extend(functions.iter().map(|function| function.name.clone()));
    // Functions at the root, which WIT text could only name with the app's world's types.
    for function in functions {
        let world = &mut resolve.worlds[world];
        let key = WorldKey::Name(function.name.clone());
        world
            .imports
            .insert(key.clone(), WorldItem::Function(function.clone()));
        world.exports.insert(key, WorldItem::Function(function));
    }

    let mut glue = wit_dylib::create(&resolve, world, None);
    wit_component::embed_component_metadata(&mut glue, &resolve, world, StringEncoding::UTF8)?;
    let mut linker = wit_component::Linker::default();
    // The library first: the glue re-exports `cabi_realloc`, which must resolve to the
    // library's own.
    linker.library("libwasm_rr_generic_interposer.so", library, false)?;
    linker.library("libwasm_rr_generic_glue.so", &glue, false)?;
    let component = linker.encode().context("linking the generic interposer")?;
    Ok(Generic {
        component,
        resolve,
        world,
        imports,
    })
}

/// Refuses an interface with a type that the generic interposer does not record (yet).
fn check_types(resolve: &Resolve, id: InterfaceId) -> Result<()> {
    let interface = &resolve.interfaces[id];
    let name = resolve.id_of(id).unwrap_or_default();
    for function in interface.functions.values() {
        check_function(resolve, &format!("{name}#{}", function.name), function)?;
    }
    Ok(())
}

/// Refuses function `function` (named `name`) if it is async or has a type that the
/// generic interposer does not record (yet).
fn check_function(resolve: &Resolve, name: &str, function: &Function) -> Result<()> {
    if function.kind.is_async() {
        bail!("`{name}` is an async function, which wasm-rr cannot record (yet)");
    }
    for ty in function_types(function) {
        if let Some(what) = unsupported(resolve, ty) {
            bail!("`{name}` takes or returns {what}, which wasm-rr cannot record (yet)");
        }
    }
    Ok(())
}

/// The app's function imported at its world's root, for the generic interposer's world:
/// its types as the interfaces define them, the app's world's `use`s of them looked
/// through. Refused if it uses a type the app's world defines itself.
fn root_function(resolve: &Resolve, function: &Function) -> Result<Function> {
    check_function(resolve, &function.name, function)?;
    let mut function = function.clone();
    let name = function.name.clone();
    let through_uses = |ty: &mut Type| -> Result<()> {
        *ty = looked_through(resolve, *ty);
        if defined_by_a_world(resolve, ty) {
            bail!(
                "the app imports the function `{name}` at its world's root, with a type its \
                 world defines, which wasm-rr cannot record (yet): only types of interfaces"
            );
        }
        Ok(())
    };
    for param in &mut function.params {
        through_uses(&mut param.ty)?;
    }
    if let Some(result) = &mut function.result {
        through_uses(result)?;
    }
    Ok(function)
}

/// `ty`, or, if it is a world's `use` of an interface's type, that type.
fn looked_through(resolve: &Resolve, ty: Type) -> Type {
    match ty {
        Type::Id(id) => match (&resolve.types[id].owner, &resolve.types[id].kind) {
            (TypeOwner::World(_), TypeDefKind::Type(inner)) => looked_through(resolve, *inner),
            _ => ty,
        },
        _ => ty,
    }
}

/// Whether `ty` is, or holds, a type that a world defines.
fn defined_by_a_world(resolve: &Resolve, ty: &Type) -> bool {
    let Type::Id(id) = ty else {
        return false;
    };
    let def = &resolve.types[*id];
    match def.owner {
        TypeOwner::World(_) => true,
        TypeOwner::Interface(_) => false,
        TypeOwner::None => parts(&def.kind).any(|ty| defined_by_a_world(resolve, &ty)),
    }
}

/// Adds to `ids` the interfaces that define the types in `ty`.
fn interfaces_of(resolve: &Resolve, ty: &Type, ids: &mut Vec<InterfaceId>) {
    let Type::Id(id) = ty else {
        return;
    };
    let def = &resolve.types[*id];
    match def.owner {
        TypeOwner::Interface(interface) if !ids.contains(&interface) => ids.push(interface),
        TypeOwner::Interface(_) | TypeOwner::World(_) => {}
        TypeOwner::None => {
            for ty in parts(&def.kind) {
                interfaces_of(resolve, &ty, ids);
            }
        }
    }
}

/// The types a type is made of (none for a resource, a handle's resource for a handle).
fn parts(kind: &TypeDefKind) -> Box<dyn Iterator<Item = Type> + '_> {
    match kind {
        TypeDefKind::Record(record) => Box::new(record.fields.iter().map(|field| field.ty)),
        TypeDefKind::Tuple(tuple) => Box::new(tuple.types.iter().copied()),
        TypeDefKind::Variant(variant) => Box::new(variant.cases.iter().filter_map(|case| case.ty)),
        TypeDefKind::Option(ty) | TypeDefKind::List(ty) | TypeDefKind::Type(ty) => {
            Box::new(std::iter::once(*ty))
        }
        TypeDefKind::Result(result) => Box::new(result.ok.iter().chain(result.err.iter()).copied()),
        TypeDefKind::Handle(Handle::Own(id) | Handle::Borrow(id)) => {
            Box::new(std::iter::once(Type::Id(*id)))
        }
        _ => Box::new(std::iter::empty()),
    }
}

fn function_types(function: &Function) -> impl Iterator<Item = &Type> {
    function
        .params
        .iter()
        .map(|param| &param.ty)
        .chain(function.result.as_ref())
}

/// What of `ty` the generic interposer does not record, if anything.
fn unsupported(resolve: &Resolve, ty: &Type) -> Option<&'static str> {
    let Type::Id(id) = ty else {
        return match ty {
            Type::ErrorContext => Some("an error-context"),
            _ => None,
        };
    };
    unsupported_def(resolve, *id)
}

fn unsupported_def(resolve: &Resolve, id: TypeId) -> Option<&'static str> {
    match &resolve.types[id].kind {
        TypeDefKind::Flags(flags) if flags.flags.len() > 32 => Some("flags of more than 32 names"),
        TypeDefKind::Future(_) => Some("a future"),
        TypeDefKind::Stream(_) => Some("a stream"),
        TypeDefKind::FixedLengthList(..) => Some("a fixed-length list"),
        TypeDefKind::Map(..) => Some("a map"),
        TypeDefKind::Unknown => Some("an unknown type"),
        kind => parts(kind).find_map(|ty| unsupported(resolve, &ty)),
    }
}
