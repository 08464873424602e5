//! The small components that the composer generates from a few lines of WAT each
//! (`generated/*.wat`) and a world of wit/rr-log.wit, which gives them their types.
//!
//! - For an HTTP handler (an app that exports `wasi:http/incoming-handler`): the interposer
//!   cannot export a function that takes the host's `wasi:http/types` resources while it
//!   exports its own, so two components carry the host's request to it (see
//!   `request-slot` in wit/rr-log.wit and docs/src/serving.md). The *front* is the
//!   composed component's `wasi:http/incoming-handler`; it puts the host's request in the
//!   *slot*, from which the interposer takes it when the front asks it to accept it.
//! - For `compose --log passthrough`: an `rr:log` in passthrough mode, so that the
//!   composed component needs no host that provides one.
//! - For a bundle (`wasm-rr bundle`): the component holding the trace, and the *run front*,
//!   the bundle's `wasi:cli/run`, which runs the app's and then has the bundle's `rr:log`
//!   (hosts/bundle/, built with the interposer) check how the run ended.

use crate::component_from_core;
use anyhow::{bail, Context, Result};
use wasm_encoder::{ConstExpr, DataSection, Section};
use wit_component::StringEncoding;
use wit_parser::Resolve;

/// The interface an app that serves HTTP exports, without its version.
pub const INCOMING_HANDLER: &str = "wasi:http/incoming-handler";

/// The interposer's import that the slot serves.
pub const REQUEST_SLOT: &str = "rr:log/request-slot@0.1.0";
/// The interposer's export of what it has not used of the events handed to it, which a
/// composition for a host exports too.
pub const REPLAY_STATE: &str = "rr:log/replay-state@0.1.0";
/// The interposer's export that accepts the request in the slot.
pub const INCOMING: &str = "rr:log/incoming@0.1.0";
/// The interposer's export of its `wasi:http/types`.
pub const INTERPOSER_HTTP_TYPES: &str = "wasi:http/types@0.2.12";
/// The front's imports: the slot, the interposer's `wasi:http/types` resources, its
/// `incoming`, and the app's handler.
pub const FRONT_GUEST_HTTP: &str = "rr:log/guest-http@0.1.0";
pub const FRONT_GUEST_INCOMING: &str = "rr:log/guest-incoming@0.1.0";
pub const FRONT_GUEST_HANDLER: &str = "rr:log/guest-handler@0.1.0";
/// The front's export, renamed to the app's own export name in the composition.
pub const FRONT_HANDLER: &str = "wasi:http/incoming-handler@0.2.12";

/// A command's export, without its version.
pub const RUN: &str = "wasi:cli/run";
/// The run front's import (the app's `run`) and export, renamed to the app's own export
/// name in the composition.
pub const FRONT_RUN: &str = "wasi:cli/run@0.2.12";
/// The bundle's rr:log's import of the trace, and its export that the run front calls.
pub const BUNDLED_TRACE: &str = "rr:log/bundled-trace@0.1.0";
pub const BUNDLED_END: &str = "rr:log/bundled-end@0.1.0";
/// The interposer's import that the bundle's rr:log serves, to check how the run ended.
pub const EXIT: &str = "wasi:cli/exit@0.2.12";

/// Where the trace starts in the data component's memory (see bundled_trace_data.wat).
const BUNDLED_TRACE_OFFSET: u32 = 16;

/// The WIT of `rr:log` and the WASI packages it uses, dependencies first.
const WIT: &[(&str, &str)] = &[
    ("io.wit", include_str!("../../wit/deps/io/io.wit")),
    (
        "clocks.wit",
        include_str!("../../wit/deps/clocks/clocks.wit"),
    ),
    (
        "random.wit",
        include_str!("../../wit/deps/random/random.wit"),
    ),
    (
        "filesystem.wit",
        include_str!("../../wit/deps/filesystem/filesystem.wit"),
    ),
    (
        "sockets.wit",
        include_str!("../../wit/deps/sockets/sockets.wit"),
    ),
    ("cli.wit", include_str!("../../wit/deps/cli/cli.wit")),
    ("http.wit", include_str!("../../wit/deps/http/http.wit")),
    ("rr-log.wit", include_str!("../../wit/rr-log.wit")),
];

/// The slot and the front components (worlds `rr:log/slot` and `rr:log/front`).
pub fn slot_and_front() -> Result<(Vec<u8>, Vec<u8>)> {
    let wit = RrLogWit::parse()?;
    let slot = wit
        .component("slot", include_str!("generated/slot.wat"))
        .context("building the request slot")?;
    let front = wit
        .component("front", include_str!("generated/front.wat"))
        .context("building the handler front")?;
    Ok((slot, front))
}

/// The passthrough `rr:log` (world `rr:log/passthrough-log`).
pub fn passthrough_log() -> Result<Vec<u8>> {
    RrLogWit::parse()?
        .component(
            "passthrough-log",
            include_str!("generated/passthrough_log.wat"),
        )
        .context("building the passthrough rr:log")
}

/// A bundle's run front (world `rr:log/bundle-front`) and the component that holds its
/// `trace` (world `rr:log/bundled-trace-data`).
pub fn bundle_front_and_data(trace: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let wit = RrLogWit::parse()?;
    let front = wit
        .component("bundle-front", include_str!("generated/bundle_front.wat"))
        .context("building the bundle's run front")?;
    let size = trace.len() as u64;
    let pages = (u64::from(BUNDLED_TRACE_OFFSET) + size).div_ceil(1 << 16);
    if pages > 1 << 16 {
        bail!("the trace is {size} bytes, more than a bundle can hold (4 GiB)");
    }
    let wat = include_str!("generated/bundled_trace_data.wat")
        .replace("PAGES", &pages.to_string())
        .replace("SIZE", &size.to_string());
    let mut data = DataSection::new();
    data.active(
        0,
        &ConstExpr::i32_const(BUNDLED_TRACE_OFFSET as i32),
        trace.iter().copied(),
    );
    let data = wit
        .component_with("bundled-trace-data", &wat, |module| data.append_to(module))
        .context("building the bundled trace")?;
    Ok((front, data))
}

/// The `rr:log` package, parsed with the WASI packages it uses.
struct RrLogWit {
    resolve: Resolve,
    package: wit_parser::PackageId,
}

impl RrLogWit {
    fn parse() -> Result<RrLogWit> {
        let mut resolve = Resolve::default();
        let mut package = None;
        for (name, source) in WIT {
            package = Some(resolve.push_str(name, source)?);
        }
        let package = package.context("no WIT")?;
        Ok(RrLogWit { resolve, package })
    }

    /// A component of the world `world`, whose core module is `wat`.
    fn component(&self, world: &str, wat: &str) -> Result<Vec<u8>> {
        self.component_with(world, wat, |_| {})
    }

    /// [`RrLogWit::component`], with `finish` appending to the core module first.
    fn component_with(
        &self,
        world: &str,
        wat: &str,
        finish: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<u8>> {
        let world = self.resolve.select_world(&[self.package], Some(world))?;
        let mut module = wat::parse_str(wat)?;
        finish(&mut module);
        wit_component::embed_component_metadata(
            &mut module,
            &self.resolve,
            world,
            StringEncoding::UTF8,
        )?;
        component_from_core(&module)
    }
}
