//! The console's entry point: trunk builds this binary to wasm and calls `main` when the page loads.

fn main() {
    confab_console::start();
}
