//! Resources. The app holds handles of the generic interposer's own resources (the
//! exported side); each stands for one of the host's (the imported side) while recording,
//! and for none in replay. The trace names a resource by its stable id: the order in
//! which the run made it, the same in the replay as in the recording.
//!
//! A handle goes through the ids on its way: from the app's side to ids (which the trace
//! holds) to the host's side, and back.

use crate::dylib::{fail, world};
use crate::log;
use std::cell::RefCell;
use wasm_rr_trace::any::{for_each_handle, Value, WitType};

/// One resource of the run, its index its id.
struct Resource {
    /// The host's handle: none in replay, nor once it moved to the host (an `own`
    /// argument) or was dropped.
    host: Option<u32>,
    /// Whether the app's handle is gone (dropped, or moved to the host).
    gone: bool,
}

thread_local! {
    static RESOURCES: RefCell<Vec<Resource>> = const { RefCell::new(Vec::new()) };
}

/// The glue's resource type `ty`: the interposer's own (exported; the app holds its
/// handles, and it has `new`), or the host's (imported).
fn resource(ty: usize) -> &'static crate::abi::Resource {
    match world().resources.get(ty) {
        Some(resource) => resource,
        None => fail("no such resource type"),
    }
}

/// `interface#name` of resource `ty`, for messages.
fn resource_name(ty: usize) -> String {
    let resource = resource(ty);
    format!(
        "{}#{}",
        crate::abi::name(resource.interface),
        crate::abi::name(resource.name)
    )
}

/// The rep of the interposer's own resource `id`. Never 0: jco reads rep 0 as a free
/// slot of its handle table.
fn rep_of(id: u32) -> usize {
    id as usize + 1
}

fn id_of(rep: usize) -> u32 {
    rep.wrapping_sub(1) as u32
}

/// An `own` handle pushed, made an id. The app's (an argument) moves: its handle is
/// dropped here. The host's (a result) is a new resource of the run.
pub fn own_pushed(ty: usize, handle: u32) -> u32 {
    let resource = resource(ty);
    if resource.new.is_none() {
        return RESOURCES.with(|resources| {
            let mut resources = resources.borrow_mut();
            resources.push(Resource {
                host: Some(handle),
                gone: false,
            });
            resources.len() as u32 - 1
        });
    }
    let id = match resource.rep {
        // SAFETY: the glue's `[resource-rep]` of this resource.
        Some(rep) => id_of(unsafe { rep(handle) }),
        None => fail("a resource with no rep"),
    };
    RESOURCES.with(|resources| {
        if let Some(entry) = resources.borrow_mut().get_mut(id as usize) {
            entry.gone = true;
        }
    });
    if let Some(drop) = resource.drop {
        // SAFETY: the glue's `[resource-drop]`; the dtor sees the resource gone.
        unsafe { drop(handle) };
    }
    id
}

/// A `borrow` handle pushed (an argument), made an id: a borrow of the interposer's own
/// resource arrives as its rep.
pub fn borrow_pushed(ty: usize, rep: u32) -> u32 {
    if resource(ty).new.is_none() {
        fail("a borrowed handle in a result");
    }
    id_of(rep as usize)
}

/// An `own` id popped, made a handle: the app's, a new handle of the interposer's own
/// resource (a result); or the host's, which moves to it (an argument). `Err` names a
/// resource the host has no handle for.
pub fn own_popped(ty: usize, id: u32) -> Result<u32, String> {
    let resource = resource(ty);
    match resource.new {
        // SAFETY: the glue's `[resource-new]`.
        Some(new) => Ok(unsafe { new(rep_of(id)) }),
        None => host_handle(ty, id, true),
    }
}

/// A `borrow` id popped (an argument), made the host's handle.
pub fn borrow_popped(ty: usize, id: u32) -> Result<u32, String> {
    if resource(ty).new.is_some() {
        fail("a borrowed handle in a result");
    }
    host_handle(ty, id, false)
}

/// The host's handle of resource `id` (of type `ty`), taken if `own`: `Err` for one the
/// run never made, or made in the replay (used once the run went on live).
fn host_handle(ty: usize, id: u32, own: bool) -> Result<u32, String> {
    RESOURCES.with(|resources| {
        let mut resources = resources.borrow_mut();
        let Some(entry) = resources.get_mut(id as usize) else {
            return Err(format!(
                "resource {id} ({}) was never made",
                resource_name(ty)
            ));
        };
        let host = if own { entry.host.take() } else { entry.host };
        host.ok_or_else(|| {
            format!(
                "resource {id} ({}) was made in the replay: the host has no such resource",
                resource_name(ty)
            )
        })
    })
}

/// A replayed result, its handles ids: each `own` one is the run's next resource, which
/// has no host side. `Err` if the trace holds another id.
pub fn replayed_ids(ty: &WitType, value: &mut Value) -> Result<(), String> {
    for_each_handle(ty, value, &mut |resource, value| {
        if let Value::Own(id) = value {
            RESOURCES.with(|resources| {
                let mut resources = resources.borrow_mut();
                if *id as usize != resources.len() {
                    return Err(format!(
                        "it gives own({id}) ({resource}) where the run makes its resource {}",
                        resources.len()
                    ));
                }
                resources.push(Resource {
                    host: None,
                    gone: false,
                });
                Ok(())
            })?;
        }
        Ok(())
    })
}

/// The app dropped its handle of resource `rep` (exported resource `ty`): the host's is
/// dropped too, and the drop recorded (or checked, in replay).
pub fn dropped(ty: usize, rep: usize) {
    let id = id_of(rep);
    let host = RESOURCES.with(|resources| {
        let mut resources = resources.borrow_mut();
        match resources.get_mut(id as usize) {
            // Moved to the host (an `own` argument): the host's handle went with it.
            Some(entry) if entry.gone => None,
            Some(entry) => {
                entry.gone = true;
                Some(entry.host.take())
            }
            None => fail("a drop of a resource never made"),
        }
    });
    let Some(host) = host else {
        return;
    };
    let import = world().import_of_resource.get(ty).copied().flatten();
    if let (Some(host), Some(import)) = (host, import) {
        if let Some(drop) = world().resources[import].drop {
            // SAFETY: the glue's `[resource-drop]` of the host's resource, dropped once.
            unsafe { drop(host) };
        }
    }
    log::dropped(ty, id);
}
