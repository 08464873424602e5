//! WASI 0.3, the asynchronous WASI: its components run on wasmtime's concurrent runtime,
//! inside a tokio runtime, as `wasmtime run -S p3` runs them.

use super::{give_back, outcome_of, unused_events, Log, State};
use anyhow::{Context, Result};
use wasm_rr_trace::Outcome;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::Store;

/// Whether `component` imports or exports an interface of WASI 0.3: it then runs on the
/// concurrent runtime, and every WASI it imports (0.2 included) is given asynchronously.
pub fn uses_wasi_p3(component: &Component) -> bool {
    let engine = component.engine();
    let ty = component.component_type();
    ty.imports(engine).any(|(name, _)| is_wasi_p3(name))
        || ty.exports(engine).any(|(name, _)| is_wasi_p3(name))
}

/// Whether `name` is an interface of WASI 0.3.
pub fn is_wasi_p3(name: &str) -> bool {
    name.starts_with("wasi:") && name.contains("@0.3.")
}

/// Adds WASI 0.2 (asynchronous, as `wasmtime run` gives it) and, when `p3`, WASI 0.3 to
/// `linker`, `wasi:http` included.
pub fn add_wasi_to_linker<L: Log>(linker: &mut Linker<State<L>>, p3: bool) -> Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    if p3 {
        wasmtime_wasi::p3::add_to_linker(linker)?;
        wasmtime_wasi_http::p3::add_to_linker(linker)?;
    }
    Ok(())
}

/// The runtime the guest's host calls run on, as `wasmtime run` makes it.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs the command that `pre` instantiates to its end, as [`super::Program::run`] does:
/// its `wasi:cli/run@0.3.0` on the concurrent runtime, or else its `wasi:cli/run@0.2`.
pub fn run_command<L: Log>(
    pre: &InstancePre<State<L>>,
    state: State<L>,
) -> Result<(Result<Outcome>, L)> {
    runtime()?.block_on(async {
        let mut store = Store::new(pre.engine(), state);
        let instance = pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .context("instantiating the component")?;
        let returned = match wasmtime_wasi::p3::bindings::Command::new(&mut store, &instance) {
            Ok(command) => store
                .run_concurrent(async |store| command.wasi_cli_run().call_run(store).await)
                .await
                .and_then(|returned| returned),
            Err(_) => {
                let command = wasmtime_wasi::p2::bindings::Command::new(&mut store, &instance)?;
                command.wasi_cli_run().call_run(&mut store).await
            }
        };
        let returned = returned.map(|result| if result.is_ok() { 0 } else { 1 });
        let outcome = outcome(&mut store, &instance, returned).await;
        Ok((outcome, store.into_data().log))
    })
}

/// How the guest's run ended, as [`super::outcome`] tells, calling into the instance as a
/// store of the concurrent runtime must.
async fn outcome<L: Log>(
    store: &mut Store<State<L>>,
    instance: &wasmtime::component::Instance,
    returned: wasmtime::Result<i32>,
) -> Result<Outcome> {
    let code = match returned {
        Ok(code) => code,
        Err(error) => return outcome_of(error),
    };
    if let Some(unused_events) = unused_events(store, instance)? {
        let (unused,) = unused_events.call_async(&mut *store, ()).await?;
        give_back(store, unused, |state| &mut state.log)?;
    }
    Ok(Outcome::Exit(code))
}

/// Whether `pre` is a command of WASI 0.3 or, linked asynchronously, of 0.2.
pub fn is_command<L: Log>(pre: &InstancePre<State<L>>) -> bool {
    wasmtime_wasi::p3::bindings::CommandPre::new(pre.clone()).is_ok()
        || wasmtime_wasi::p2::bindings::CommandPre::new(pre.clone()).is_ok()
}

/// The interface a WASI 0.3 HTTP handler exports (`wasi:http/service`'s).
pub const HANDLER: &str = "wasi:http/handler";

/// Hands `request` to a new instance of the WASI 0.3 handler that `pre` instantiates, as
/// [`super::Handler::handle`] does: its response goes to `response` once the handler has
/// returned it, and the store runs on until the response's body has been sent (or the
/// client went away), so that the handler can stream it. Call it where blocking is
/// allowed.
pub fn handle_request<L: Log, B>(
    pre: &InstancePre<State<L>>,
    state: State<L>,
    request: hyper::Request<B>,
    response: super::ResponseSender,
) -> Result<(Result<Outcome>, L), Box<super::Refused<L>>>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    use wasmtime_wasi_http::WasiHttpView;
    let owned;
    let runtime = match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime,
        Err(_) => match runtime() {
            Ok(runtime) => {
                owned = runtime;
                owned.handle().clone()
            }
            Err(error) => {
                let log = state.log;
                return Err(Box::new(super::Refused { error, log }));
            }
        },
    };
    runtime.block_on(async move {
        let mut store = Store::new(pre.engine(), state);
        let started = async {
            let instance = pre
                .instantiate_async(&mut store)
                .await
                .map_err(anyhow::Error::from)
                .context("instantiating the component")?;
            let service = wasmtime_wasi_http::p3::bindings::Service::new(&mut store, &instance)?;
            anyhow::Ok((instance, service))
        }
        .await;
        let (instance, service) = match started {
            Ok(started) => started,
            Err(error) => {
                let log = store.into_data().log;
                return Err(Box::new(super::Refused { error, log }));
            }
        };
        let hooks = store.data_mut().http().hooks;
        let (request, request_io) = wasmtime_wasi_http::p3::Request::from_http(hooks, request);
        let returned = store
            .run_concurrent(async |store| -> wasmtime::Result<i32> {
                match service.handle(store, request).await? {
                    Ok(answer) => {
                        let answer =
                            store.with(|mut store| answer.into_http(&mut store, request_io))?;
                        let (sent, body_sent) = tokio::sync::oneshot::channel();
                        let length = super::ContentLength::of(&answer);
                        let answer = answer.map(|body| {
                            use http_body_util::BodyExt;
                            let sent = Some(sent);
                            SaysWhenSent { body, length, sent }.boxed_unsync()
                        });
                        if response.send(Ok(answer)).is_ok() {
                            // The guest streams the body: the store runs until it is sent.
                            let _ = body_sent.await;
                        }
                    }
                    Err(code) => {
                        let code =
                            wasmtime_wasi_http::p2::bindings::http::types::ErrorCode::InternalError(
                                Some(format!("{code:?}")),
                            );
                        let _ = response.send(Err(code));
                    }
                }
                Ok(0)
            })
            .await
            .and_then(|returned| returned);
        let outcome = outcome(&mut store, &instance, returned).await;
        Ok((outcome, store.into_data().log))
    })
}

/// A response body that says when it has been sent whole (its end, or the last bytes of
/// its `content-length`, after which the server may not ask for its end), or dropped.
struct SaysWhenSent {
    body: wasmtime_wasi_http::p2::body::HyperOutgoingBody,
    length: super::ContentLength,
    sent: Option<tokio::sync::oneshot::Sender<()>>,
}

impl hyper::body::Body for SaysWhenSent {
    type Data = bytes::Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<hyper::body::Frame<Self::Data>, Self::Error>>>
    {
        use std::task::Poll;
        let frame = std::pin::Pin::new(&mut self.body).poll_frame(context);
        let whole = match &frame {
            Poll::Ready(None | Some(Err(_))) => true,
            Poll::Ready(Some(Ok(frame))) => self.length.last(frame),
            Poll::Pending => false,
        };
        if whole {
            self.sent.take().map(|sent| sent.send(()));
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

impl Drop for SaysWhenSent {
    fn drop(&mut self) {
        self.sent.take().map(|sent| sent.send(()));
    }
}
