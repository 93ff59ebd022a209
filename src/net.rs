//! Is the server reachable? The browser's `online`/`offline` events say
//! whether there is a network at all; only an answer from `/api/health`
//! says the server is there (a captive portal or a dead link says "online" too).
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use wasm_bindgen_futures::JsFuture;

/// How often the server is re-checked while the app is open.
const RECHECK_MS: i32 = 30_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetState {
    Checking,
    Online,
    Offline,
}

impl NetState {
    pub fn as_str(self) -> &'static str {
        match self {
            NetState::Checking => "checking",
            NetState::Online => "online",
            NetState::Offline => "offline",
        }
    }
}

/// Asks the server for its health; any failure (no network, server down,
/// non-2xx) counts as offline.
pub async fn server_reachable() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_cache(web_sys::RequestCache::NoStore);
    let Ok(request) = web_sys::Request::new_with_str_and_init("/api/health", &init) else {
        return false;
    };
    match JsFuture::from(window.fetch_with_request(&request)).await {
        Ok(resp) => resp
            .dyn_into::<web_sys::Response>()
            .map(|r| r.ok())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Provides a `ReadSignal<NetState>` kept up to date by browser events, a
/// check at start and a periodic re-check.
pub fn provide_net_state() -> ReadSignal<NetState> {
    let (state, set_state) = signal(NetState::Checking);
    let check = move || {
        let online = web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(false);
        if !online {
            set_state.set(NetState::Offline);
            return;
        }
        leptos::task::spawn_local(async move {
            let reachable = server_reachable().await;
            set_state.set(if reachable {
                NetState::Online
            } else {
                NetState::Offline
            });
        });
    };
    check();
    if let Some(window) = web_sys::window() {
        let on_online = Closure::<dyn Fn()>::new(move || {
            set_state.set(NetState::Checking);
            check();
        });
        let on_offline = Closure::<dyn Fn()>::new(move || set_state.set(NetState::Offline));
        let tick = Closure::<dyn Fn()>::new(check);
        let _ =
            window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        let _ =
            window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            RECHECK_MS,
        );
        // The listeners live as long as the page.
        on_online.forget();
        on_offline.forget();
        tick.forget();
    }
    provide_context(state);
    state
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The browser's `CompressionStream` (web-sys has it only behind an
    /// unstable cfg, so it is bound here).
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, wasm_bindgen::JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> web_sys::WritableStream;
}

/// `text` gzip-compressed by the browser, or `None` where it cannot (the
/// caller then sends it uncompressed). The bytes are written to the stream
/// straight from wasm memory: a `Blob` of them would be handed to the
/// browser's blob store and read back, which costs more than compressing.
pub async fn gzip(text: &str) -> Option<js_sys::Uint8Array> {
    let cs = CompressionStream::new("gzip").ok()?;
    let writer = cs.writable().get_writer().ok()?;
    // Not awaited: a write completes only as the output is read, below.
    // Their failures (none expected) also fail that read.
    let _ = writer.write_with_chunk(&js_sys::Uint8Array::from(text.as_bytes()));
    let _ = writer.close();
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&cs.readable())).ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}
