//! Moving results between the host's bindings, the trace and the guest's bindings.
//!
//! wit-bindgen gives the imported and the exported copy of a WIT type distinct Rust types;
//! the trace has a third. A host result is put in its trace form with [`traced`] (inside
//! the closure that [`recorded`] runs only when recording), and the trace form is handed
//! to the guest with [`guest`].

use crate::log::recorded;
use wasm_rr_trace::Call;

/// A host result in its trace form.
pub fn traced<T, V: From<T>, HostError, TraceError: From<HostError>>(
    result: Result<T, HostError>,
) -> Result<V, TraceError> {
    result.map(V::from).map_err(TraceError::from)
}

/// A trace result as the guest sees it.
pub fn guest<V, U: From<V>, TraceError, GuestError: From<TraceError>>(
    result: Result<V, TraceError>,
) -> Result<U, GuestError> {
    result.map(U::from).map_err(GuestError::from)
}

/// Records call `C`, which creates a resource on success: gives the host's new resource
/// in record, none in replay (where the caller makes a virtual one).
pub fn creating<C, Host, HostError, TraceError, GuestError>(
    args: C::Args,
    host_call: impl FnOnce() -> Result<Host, HostError>,
) -> Result<Option<Host>, GuestError>
where
    C: Call<Result = Result<(), TraceError>>,
    TraceError: From<HostError>,
    GuestError: From<TraceError>,
{
    let mut created = None;
    let result = recorded::<C>(args, || {
        host_call()
            .map(|host| created = Some(host))
            .map_err(TraceError::from)
    });
    result.map(|()| created).map_err(GuestError::from)
}

/// Records call `C`, which creates a resource that the host makes in every mode (a
/// handler's response: replay shows it): the guest sees the host's result in record and
/// the trace's in replay, and gets the host's resource whenever there is one.
pub fn creating_in_every_mode<C, Host, HostError>(
    args: C::Args,
    host_result: Result<Host, HostError>,
) -> Result<Option<Host>, ()>
where
    C: Call<Result = Result<(), ()>>,
{
    let result = recorded::<C>(args, || host_result.as_ref().map(|_| ()).map_err(|_| ()));
    result.map(|()| host_result.ok())
}
