//! User Timing marks and measures: the benches read them ("htx-autosave",
//! "htx-sync", "htx-sync-push", ...) to show where time goes; nearly free
//! when nobody reads them.

/// Starts the User Timing measure `name` (`performance.mark`).
pub fn timing_start(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(&format!("{name}-start"));
    }
}

/// Ends the measure `name` started by [`timing_start`] (`performance.measure`).
pub fn timing_end(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.measure_with_start_mark(name, &format!("{name}-start"));
    }
}

/// Marks a moment (`performance.mark`), e.g. "htx-home-ready": the home
/// page usable, which the start-up bench reads from navigation start.
pub fn timing_mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}
