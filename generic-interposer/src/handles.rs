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

fn sides(resource: &str) -> crate::dylib::Sides {
    match world().resource_sides.get(resource) {
        Some(sides) => *sides,
        None => fail(&format!("no such resource: {resource}")),
    }
}

/// The app's arguments (`values` of `types`), their handles made ids. An `own` handle
/// moves: the app's handle is dropped here.
pub fn app_to_ids(types: &[WitType], values: &mut [Value]) {
    for (ty, value) in types.iter().zip(values) {
        let result = for_each_handle(ty, value, &mut |resource, value| {
            match value {
                // A borrowed handle of the interposer's own resource arrives as its rep,
                // which is the id.
                Value::Borrow(_) => {}
                Value::Own(handle) => {
                    let export = sides(resource)
                        .export
                        .unwrap_or_else(|| fail("own of an unexported resource"));
                    let exported = &world().resources[export];
                    let id = match exported.rep {
                        // SAFETY: the glue's `[resource-rep]` of this resource.
                        Some(rep) => (unsafe { rep(*handle) }) as u32,
                        None => fail("a resource with no rep"),
                    };
                    RESOURCES.with(|resources| {
                        if let Some(entry) = resources.borrow_mut().get_mut(id as usize) {
                            entry.gone = true;
                        }
                    });
                    if let Some(drop) = exported.drop {
                        // SAFETY: the glue's `[resource-drop]`; the dtor sees the resource gone.
                        unsafe { drop(*handle) };
                    }
                    *handle = id;
                }
                _ => {}
            }
            Ok(())
        });
        if let Err(e) = result {
            fail(&e);
        }
    }
}

/// Arguments as ids, their handles made the host's: `Err` names a resource the host has
/// no handle for (one made in replay, used once the run went on live).
pub fn ids_to_host(types: &[WitType], values: &mut [Value]) -> Result<(), String> {
    for (ty, value) in types.iter().zip(values) {
        for_each_handle(ty, value, &mut |resource, value| {
            RESOURCES.with(|resources| {
                let mut resources = resources.borrow_mut();
                let (id, own) = match value {
                    Value::Own(id) => (*id, true),
                    Value::Borrow(id) => (*id, false),
                    _ => return Ok(()),
                };
                let entry = resources
                    .get_mut(id as usize)
                    .ok_or_else(|| format!("resource {id} ({resource}) was never made"))?;
                let host = match (own, entry.host) {
                    (true, _) => entry.host.take(),
                    (false, host) => host,
                };
                let host = host.ok_or_else(|| {
                    format!("resource {id} ({resource}) was made in the replay: the host has no such resource")
                })?;
                *value = if own { Value::Own(host) } else { Value::Borrow(host) };
                Ok(())
            })
        })?;
    }
    Ok(())
}

/// A result from the host, its handles made ids: each `own` handle is a new resource.
pub fn host_to_ids(ty: &WitType, value: &mut Value) {
    let _ = for_each_handle(ty, value, &mut |_, value| {
        if let Value::Own(handle) = value {
            *handle = RESOURCES.with(|resources| {
                let mut resources = resources.borrow_mut();
                resources.push(Resource {
                    host: Some(*handle),
                    gone: false,
                });
                resources.len() as u32 - 1
            });
        }
        Ok(())
    });
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

/// A result as ids, its handles made the app's: the interposer's own resource for each id.
pub fn ids_to_app(ty: &WitType, value: &mut Value) {
    let _ = for_each_handle(ty, value, &mut |resource, value| {
        if let Value::Own(id) = value {
            let export = sides(resource)
                .export
                .unwrap_or_else(|| fail("own of an unexported resource"));
            match world().resources[export].new {
                // SAFETY: the glue's `[resource-new]`, the rep being the id.
                Some(new) => *id = unsafe { new(*id as usize) },
                None => fail("a resource with no constructor"),
            }
        }
        Ok(())
    });
}

/// The app dropped its handle of resource `rep` (exported resource `ty`): the host's is
/// dropped too, and the drop recorded (or checked, in replay).
pub fn dropped(ty: usize, rep: usize) {
    let id = rep as u32;
    let host = RESOURCES.with(|resources| {
        let mut resources = resources.borrow_mut();
        match resources.get_mut(rep) {
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
    let resource = &world().resources[ty];
    let name = format!(
        "{}#{}",
        crate::abi::name(resource.interface),
        crate::abi::name(resource.name)
    );
    let import = sides(&name).import;
    if let (Some(host), Some(import)) = (host, import) {
        if let Some(drop) = world().resources[import].drop {
            // SAFETY: the glue's `[resource-drop]` of the host's resource, dropped once.
            unsafe { drop(host) };
        }
    }
    log::dropped(&name, id);
}
