//! Stitches the wasm-rr interposer in front of an app component.
//!
//! The composed component wires every WASI import of the app to the interposer's export
//! of the same interface (any 0.2.x to the interposer's 0.2.12), and the interposer's own
//! imports to the host. Interfaces the app never imports are served to the interposer by
//! a stub whose functions trap, so the composed component imports only what the app
//! needs, plus `rr:log`.

use anyhow::{bail, Context, Result};
use std::borrow::Cow;
use wac_graph::types::{are_semver_compatible, Package};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};
use wit_component::{ComponentEncoder, DecodedWasm, StringEncoding};
mod generated;
mod generic;
mod wasip1;

pub use generated::{INCOMING_HANDLER, REPLAY_STATE};
pub use wasip1::{adapt_wasip1, adaptation_inputs};

use wit_parser::{
    InterfaceId, LiftLowerAbi, ManglingAndAbi, Resolve, WorldId, WorldItem, WorldKey,
};

/// The interface the host provides to a composed component, without its version.
pub const RR_LOG_INTERFACE: &str = "rr:log/log";

/// What a wasm file holds, read from its preamble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKind {
    Component,
    CoreModule,
}

/// Tells a component from a core module; anything else is an error.
pub fn wasm_kind(bytes: &[u8]) -> Result<WasmKind> {
    match bytes {
        [0, b'a', b's', b'm', 1, 0, 0, 0, ..] => Ok(WasmKind::CoreModule),
        [0, b'a', b's', b'm', _, _, 1, 0, ..] => Ok(WasmKind::Component),
        _ => bail!("not a WebAssembly component or module (no `\\0asm` preamble)"),
    }
}

/// The app as a component: a component as is, a wasm32-wasip1 core module adapted with the
/// WASI preview1 command adapter.
pub fn app_component(app: &[u8]) -> Result<Cow<'_, [u8]>> {
    match wasm_kind(app)? {
        WasmKind::Component => Ok(Cow::Borrowed(app)),
        WasmKind::CoreModule => adapt_wasip1(app).map(Cow::Owned),
    }
}

/// Turns a core module with embedded component metadata (from wit-bindgen) into a component.
pub fn component_from_core(module: &[u8]) -> Result<Vec<u8>> {
    ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| encoder.validate(true).encode())
}

/// Whether `wasm` uses the component model's async features anywhere inside: async lifts
/// or lowers, tasks, streams, futures, waitable sets (WASI 0.3 apps do). Such a component
/// runs on wasmtime's concurrent runtime, which would cost every other one time on each
/// call.
pub fn uses_async(wasm: &[u8]) -> bool {
    use wasmparser::{CanonicalFunction as Canon, CanonicalOption, Parser, Payload};
    let is_async = |options: &[CanonicalOption]| {
        options.iter().any(|option| {
            matches!(
                option,
                CanonicalOption::Async | CanonicalOption::Callback(_)
            )
        })
    };
    Parser::new(0).parse_all(wasm).any(|payload| {
        let Ok(Payload::ComponentCanonicalSection(section)) = payload else {
            return false;
        };
        section.into_iter().any(|function| match function {
            Ok(Canon::Lift { options, .. } | Canon::Lower { options, .. }) => is_async(&options),
            Ok(
                Canon::ResourceNew { .. }
                | Canon::ResourceDrop { .. }
                | Canon::ResourceRep { .. }
                | Canon::ThreadSpawnRef { .. }
                | Canon::ThreadSpawnIndirect { .. }
                | Canon::ThreadAvailableParallelism,
            )
            | Err(_) => false,
            Ok(_) => true,
        })
    })
}

/// The import names of a component, e.g. `wasi:cli/stdout@0.2.12`.
pub fn imports(component: &[u8]) -> Result<Vec<String>> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes(
        "wasm-rr:inspected",
        None,
        component.to_vec(),
        graph.types_mut(),
    )?;
    Ok(graph.types()[package.ty()]
        .imports
        .keys()
        .cloned()
        .collect())
}

/// The custom section in which a composed component names the app it holds, as JSON:
/// `{"app_sha256": ..., "wasm_rr_version": ..., "wasm_rr_trace": N}`, what a host other
/// than wasm-rr needs to write a trace's header.
pub const IDENTITY_SECTION: &str = "wasm-rr";

/// `component` with [`IDENTITY_SECTION`] holding `identity` appended.
pub fn with_identity(mut component: Vec<u8>, identity: &str) -> Vec<u8> {
    let section = wasm_encoder::CustomSection {
        name: IDENTITY_SECTION.into(),
        data: identity.as_bytes().into(),
    };
    wasm_encoder::ComponentSection::append_to_component(&section, &mut component);
    component
}

/// The contents of a component's [`IDENTITY_SECTION`], if it has one.
pub fn identity(component: &[u8]) -> Option<String> {
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        if let Ok(wasmparser::Payload::CustomSection(section)) = payload {
            if section.name() == IDENTITY_SECTION {
                found = std::str::from_utf8(section.data()).ok().map(String::from);
            }
        }
    }
    found
}

/// Whether `component` was composed already: it imports `rr:log`.
pub fn is_composed(component: &[u8]) -> Result<bool> {
    Ok(imports(component)?
        .iter()
        .any(|name| unversioned(name) == RR_LOG_INTERFACE))
}

/// `wasi:cli/stdout@0.2.12` without `@0.2.12`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(name, _)| name)
}

/// Where a composed component's `rr:log` comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogSource {
    /// The host provides it: the component imports `rr:log` (record, replay, passthrough).
    #[default]
    Host,
    /// Composed in, in passthrough mode: the component imports only the WASI the app
    /// uses, and runs under any WASI 0.2 host, recording nothing.
    Passthrough,
}

/// The full name of the `rr:log` interface that the interposer imports.
const RR_LOG_IMPORT: &str = "rr:log/log@0.1.0";
/// The WASI interposer's stream of replayed events, which the generic interposer imports.
const REPLAY_EVENTS: &str = "rr:log/replay-events@0.1.0";

/// What a bundle holds beside the app and the interposer.
pub struct Bundled<'a> {
    /// The bundle's `rr:log` component (world `rr:log/bundled-log`, hosts/bundle/).
    pub log: &'a [u8],
    /// The trace, in the form of `wasm_rr_trace::bundle`.
    pub trace: &'a [u8],
}

/// The interposers the composer puts in front of an app.
#[derive(Clone, Copy)]
pub struct Interposers<'a> {
    /// The WASI interposer component (interposer-component/).
    pub wasi: &'a [u8],
    /// The generic interposer's shared library (generic-interposer/), for any other
    /// interface.
    pub generic: &'a [u8],
}

/// Where the interposer's `rr:log` comes from.
enum Log<'a> {
    Host,
    Passthrough,
    Bundled(Bundled<'a>),
}

/// Puts `interposer` in front of `app` (a component) and returns the composed component.
/// `providers` (components) are plugged into the app's imports that they export, as `wac
/// plug` does, behind the generic interposer: the app's calls into them are recorded.
pub fn compose(
    app: &[u8],
    interposers: Interposers<'_>,
    log: LogSource,
    providers: &[Vec<u8>],
) -> Result<Vec<u8>> {
    let log = match log {
        LogSource::Host => Log::Host,
        LogSource::Passthrough => Log::Passthrough,
    };
    compose_with_log(app, interposers, log, providers)
}

/// `app` with `providers` plugged into the imports they export, as `wac plug` does: a
/// plain run's component.
pub fn plug(app: &[u8], providers: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let app_package = Package::from_bytes("wasm-rr:app", None, app.to_vec(), graph.types_mut())
        .context("reading the app component")?;
    let app_ty = app_package.ty();
    let app_node = instantiate(&mut graph, app_package)?;
    let imports: Vec<String> = graph.types()[app_ty].imports.keys().cloned().collect();
    plug_providers(&mut graph, providers, &imports, app_node)?;
    for export in graph.types()[app_ty]
        .exports
        .keys()
        .cloned()
        .collect::<Vec<_>>()
    {
        let source = graph.alias_instance_export(app_node, &export)?;
        graph.export(source, &export)?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(anyhow::Error::from)
        .context("encoding the app with its providers")
}

/// Instantiates each of `providers` and gives `to` each of `imports` that one exports.
fn plug_providers(
    graph: &mut CompositionGraph,
    providers: &[Vec<u8>],
    imports: &[String],
    to: NodeId,
) -> Result<()> {
    for (i, provider) in providers.iter().enumerate() {
        let package = Package::from_bytes(
            &format!("wasm-rr:provider{i}"),
            None,
            provider.clone(),
            graph.types_mut(),
        )
        .with_context(|| format!("reading provider {} (--link)", i + 1))?;
        let exports: Vec<String> = graph.types()[package.ty()]
            .exports
            .keys()
            .cloned()
            .collect();
        let node = instantiate(graph, package)?;
        let mut plugged = 0;
        for import in imports {
            let Some(export) = exports
                .iter()
                .find(|export| *export == import || are_semver_compatible(export, import))
            else {
                continue;
            };
            let source = graph.alias_instance_export(node, export)?;
            graph
                .set_instantiation_argument(to, import, source)
                .with_context(|| format!("plugging provider {} into `{import}`", i + 1))?;
            plugged += 1;
        }
        if plugged == 0 {
            bail!(
                "provider {} (--link) exports none of the interfaces it would be plugged into ({}); it exports {}",
                i + 1,
                imports.join(", "),
                exports.join(", ")
            );
        }
    }
    Ok(())
}

/// A bundle: `app` (a command) with `interposer` in front, replaying the bundled trace with
/// the bundle's own `rr:log`. Its only imports are stdout, stderr and exit (with the
/// `wasi:io` types they use): every other interface the interposer imports comes from the
/// trapping stub, since replay touches no host resource.
pub fn bundle(app: &[u8], interposers: Interposers<'_>, bundled: Bundled<'_>) -> Result<Vec<u8>> {
    compose_with_log(app, interposers, Log::Bundled(bundled), &[])
}

/// The interfaces a bundle may import, if the app does.
const BUNDLE_IMPORTS: &[&str] = &["wasi:cli/stdout", "wasi:cli/stderr", "wasi:cli/exit"];

fn compose_with_log(
    app: &[u8],
    interposers: Interposers<'_>,
    log: Log<'_>,
    providers: &[Vec<u8>],
) -> Result<Vec<u8>> {
    let interposer = interposers.wasi;
    let mut graph = CompositionGraph::new();
    let app_package = Package::from_bytes("wasm-rr:app", None, app.to_vec(), graph.types_mut())
        .context("reading the app component")?;
    let interposer_package = Package::from_bytes(
        "wasm-rr:interposer",
        None,
        interposer.to_vec(),
        graph.types_mut(),
    )
    .context("reading the interposer component")?;
    let app_ty = app_package.ty();
    let app_node = instantiate(&mut graph, app_package)?;
    let interposer_ty = interposer_package.ty();
    let interposer_node = instantiate(&mut graph, interposer_package)?;

    let app_imports: Vec<String> = graph.types()[app_ty].imports.keys().cloned().collect();
    let app_exports: Vec<String> = graph.types()[app_ty].exports.keys().cloned().collect();
    let interposer_exports: Vec<String> = graph.types()[interposer_ty]
        .exports
        .keys()
        .cloned()
        .collect();

    let exported = |name: &str| {
        app_exports
            .iter()
            .find(|export| unversioned(export) == name)
            .cloned()
    };
    let handler = exported(generated::INCOMING_HANDLER);
    let run = exported(generated::RUN);

    // Every import of the app goes to an interposer: anything else would be unrecorded.
    // WASI 0.2 goes to the WASI interposer, anything else to the generic one.
    let wasi_export = |import: &str| {
        interposer_exports
            .iter()
            .find(|export| *export == import || are_semver_compatible(export, import))
            .cloned()
    };
    let mut others = Vec::new();
    for import in &app_imports {
        let Some(export) = wasi_export(import) else {
            others.push(import.clone());
            continue;
        };
        let source = graph.alias_instance_export(interposer_node, &export)?;
        graph
            .set_instantiation_argument(app_node, import, source)
            .with_context(|| format!("wiring the app's import `{import}` to the interposer"))?;
    }
    let generic = if others.is_empty() {
        None
    } else {
        let generic = generic::interposer(app, &others, interposers.generic, |name| {
            wasi_export(name).is_some()
        })?;
        let node = instantiate_bytes(
            &mut graph,
            "wasm-rr:generic-interposer",
            generic.component.clone(),
        )?;
        for import in &others {
            wire(&mut graph, (node, import), app_node).with_context(|| {
                format!("wiring the app's import `{import}` to the generic interposer")
            })?;
        }
        plug_providers(&mut graph, providers, &generic.imports, node)?;
        wire(&mut graph, (interposer_node, REPLAY_EVENTS), node)?;
        Some((node, generic))
    };
    if generic.is_none() && !providers.is_empty() {
        bail!("the app imports nothing but WASI 0.2, which no provider (--link) may replace");
    }
    // The interposers that import `rr:log`.
    let log_importers: Vec<NodeId> = std::iter::once(interposer_node)
        .chain(generic.as_ref().map(|(node, _)| *node))
        .collect();

    let mut app_interfaces: Vec<&str> = app_imports.iter().map(|name| unversioned(name)).collect();
    let mut bundle_front = None;
    let mut generic = generic;
    // Only a host's log hands out batches of events that the interposer may leave unused.
    let exports_replay_state = matches!(log, Log::Host);
    match log {
        Log::Host => {}
        Log::Passthrough => {
            let provider_node = instantiate_bytes(
                &mut graph,
                "wasm-rr:passthrough-log",
                generated::passthrough_log()?,
            )?;
            for &node in &log_importers {
                wire(&mut graph, (provider_node, RR_LOG_IMPORT), node)?;
            }
        }
        Log::Bundled(bundled) => {
            let (Some(run), None) = (&run, &handler) else {
                bail!("only a command (an app that exports `wasi:cli/run`) can be bundled");
            };
            let (front, data) = generated::bundle_front_and_data(bundled.trace)?;
            let data_node = instantiate_bytes(&mut graph, "wasm-rr:bundled-trace", data)?;
            let log_node =
                instantiate_bytes(&mut graph, "wasm-rr:bundled-log", bundled.log.to_vec())?;
            wire(&mut graph, (data_node, generated::BUNDLED_TRACE), log_node)?;
            for &node in &log_importers {
                wire(&mut graph, (log_node, RR_LOG_IMPORT), node)?;
            }
            // Replay touches no host resource: the generic interposer's imports trap.
            if let Some((node, generic)) = &mut generic {
                let stub = trapping_stub(&mut generic.resolve, generic.world, &generic.imports)
                    .context("building the stub for the generic interposer's imports")?;
                let stub_node = instantiate_bytes(&mut graph, "wasm-rr:generic-stub", stub)?;
                for import in &generic.imports {
                    wire(&mut graph, (stub_node, import), *node)?;
                }
            }
            app_interfaces.retain(|name| BUNDLE_IMPORTS.contains(name));
            if app_interfaces.contains(&unversioned(generated::EXIT)) {
                // The run's end is checked when the guest exits.
                wire(&mut graph, (log_node, generated::EXIT), interposer_node)?;
            }
            // The run front calls the app's run, then has the bundle's log check the end.
            let front_node = instantiate_bytes(&mut graph, "wasm-rr:bundle-front", front)?;
            let app_run = graph.alias_instance_export(app_node, run)?;
            graph
                .set_instantiation_argument(front_node, generated::FRONT_RUN, app_run)
                .context("wiring the app's run to the bundle's run front")?;
            wire(&mut graph, (log_node, generated::BUNDLED_END), front_node)?;
            bundle_front = Some(front_node);
        }
    }

    // The interposer's imports of interfaces the app does not use come from a stub.
    let DecodedWasm::Component(mut resolve, interposer_world) = wit_component::decode(interposer)?
    else {
        bail!("the interposer is not a component");
    };
    if handler.is_some() {
        app_interfaces.push(unversioned(generated::REQUEST_SLOT));
    }
    let unused = unused_imports(&resolve, interposer_world, &app_interfaces);
    if !unused.is_empty() {
        let stub = trapping_stub(&mut resolve, interposer_world, &unused)
            .context("building the stub for unused interfaces")?;
        let stub_node = instantiate_bytes(&mut graph, "wasm-rr:stub", stub)?;
        for import in &unused {
            wire(&mut graph, (stub_node, import), interposer_node)?;
        }
    }

    for export in &app_exports {
        let source = match (&handler, bundle_front) {
            (Some(handler), _) if handler == export => {
                serve_through_front(&mut graph, app_node, interposer_node, handler)?
            }
            (_, Some(front_node)) if run.as_ref() == Some(export) => {
                graph.alias_instance_export(front_node, generated::FRONT_RUN)?
            }
            _ => graph.alias_instance_export(app_node, export)?,
        };
        graph.export(source, export)?;
    }
    if exports_replay_state {
        // For the host's end check after a replay (see rr:log/replay-state).
        let replay_state = graph.alias_instance_export(interposer_node, generated::REPLAY_STATE)?;
        graph.export(replay_state, generated::REPLAY_STATE)?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(anyhow::Error::from)
        .context("encoding the composed component")
}

/// Gives `to` the export `name` of `from` for its import of the same name.
fn wire(graph: &mut CompositionGraph, (from, name): (NodeId, &str), to: NodeId) -> Result<()> {
    let source = graph.alias_instance_export(from, name)?;
    graph
        .set_instantiation_argument(to, name, source)
        .with_context(|| format!("wiring `{name}`"))?;
    Ok(())
}

/// Wires the slot and the front in front of the app's `handler` export (see [`generated`]), and
/// gives the front's handler, which the composition exports in its place.
fn serve_through_front(
    graph: &mut CompositionGraph,
    app_node: NodeId,
    interposer_node: NodeId,
    handler: &str,
) -> Result<NodeId> {
    let (slot, front) = generated::slot_and_front()?;
    let slot_node = instantiate_bytes(graph, "wasm-rr:slot", slot)?;
    let front_node = instantiate_bytes(graph, "wasm-rr:front", front)?;
    let slot_export = graph.alias_instance_export(slot_node, generated::REQUEST_SLOT)?;
    let incoming = graph.alias_instance_export(interposer_node, generated::INCOMING)?;
    let guest_http =
        graph.alias_instance_export(interposer_node, generated::INTERPOSER_HTTP_TYPES)?;
    let app_handler = graph.alias_instance_export(app_node, handler)?;
    let wiring = [
        (interposer_node, generated::REQUEST_SLOT, slot_export),
        (front_node, generated::REQUEST_SLOT, slot_export),
        (front_node, generated::FRONT_GUEST_HTTP, guest_http),
        (front_node, generated::FRONT_GUEST_INCOMING, incoming),
        (front_node, generated::FRONT_GUEST_HANDLER, app_handler),
    ];
    for (node, import, source) in wiring {
        graph
            .set_instantiation_argument(node, import, source)
            .with_context(|| format!("wiring `{import}` of the handler's composition"))?;
    }
    Ok(graph.alias_instance_export(front_node, generated::FRONT_HANDLER)?)
}

/// An instance of the component `bytes`, registered as package `name`.
fn instantiate_bytes(graph: &mut CompositionGraph, name: &str, bytes: Vec<u8>) -> Result<NodeId> {
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())?;
    instantiate(graph, package)
}

fn instantiate(graph: &mut CompositionGraph, package: Package) -> Result<NodeId> {
    let package = graph.register_package(package)?;
    Ok(graph.instantiate(package))
}

/// The interposer's imports (by full name) that the app needs neither directly nor
/// through the types of one it needs; `rr:log` is always needed.
fn unused_imports(resolve: &Resolve, world: WorldId, app_interfaces: &[&str]) -> Vec<String> {
    let imported: Vec<InterfaceId> = resolve.worlds[world]
        .imports
        .iter()
        .filter_map(|(key, item)| match (key, item) {
            (WorldKey::Interface(id), WorldItem::Interface { .. }) => Some(*id),
            _ => None,
        })
        .collect();
    let name = |id: InterfaceId| resolve.id_of(id).unwrap_or_default();
    let mut needed: Vec<InterfaceId> = imported
        .iter()
        .copied()
        .filter(|&id| {
            let name = name(id);
            let name = unversioned(&name);
            name == RR_LOG_INTERFACE || app_interfaces.contains(&name)
        })
        .collect();
    let mut next = 0;
    while next < needed.len() {
        for dep in resolve.interface_direct_deps(needed[next]) {
            if !needed.contains(&dep) {
                needed.push(dep);
            }
        }
        next += 1;
    }
    imported
        .into_iter()
        .filter(|id| !needed.contains(id))
        .map(name)
        .collect()
}

/// A component that exports `interfaces` (as the interposer imports them) with functions
/// that trap: the app never reaches them, since it does not import these interfaces.
fn trapping_stub(
    resolve: &mut Resolve,
    interposer_world: WorldId,
    interfaces: &[String],
) -> Result<Vec<u8>> {
    let world = stub_world(resolve, interposer_world, interfaces)?;
    let mut module =
        wit_component::dummy_module(resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    wit_component::embed_component_metadata(&mut module, resolve, world, StringEncoding::UTF8)?;
    component_from_core(&module)
}

/// A world exporting the given imports of the interposer's world (interfaces, and
/// functions at its root); the interfaces they depend on, if not among them, become its
/// imports.
fn stub_world(
    resolve: &mut Resolve,
    interposer_world: WorldId,
    imports: &[String],
) -> Result<WorldId> {
    let mut exports = Vec::new();
    let mut functions = Vec::new();
    for (key, item) in &resolve.worlds[interposer_world].imports {
        match (key, item) {
            (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                if let Some(name) = resolve.id_of(*id).filter(|name| imports.contains(name)) {
                    exports.push(name);
                }
            }
            (WorldKey::Name(name), WorldItem::Function(function)) if imports.contains(name) => {
                functions.push(function.clone());
            }
            _ => {}
        }
    }
    let body: String = exports
        .iter()
        .map(|name| format!("  export {name};\n"))
        .collect();
    let source = format!("package wasm-rr:stub;\n\nworld stub {{\n{body}}}\n");
    let package = resolve.push_str("stub.wit", &source)?;
    let world = resolve.select_world(&[package], Some("stub"))?;
    for function in functions {
        let key = WorldKey::Name(function.name.clone());
        resolve.worlds[world]
            .exports
            .insert(key, WorldItem::Function(function));
    }
    Ok(world)
}
