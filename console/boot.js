// Starts the console: loads the wasm-bindgen glue and the WebAssembly next to this file. A file of its
// own (not an inline script) because the console's Content-Security-Policy allows scripts from 'self' only.
import init from "./confab-console.js";

init().catch(function (error) {
  console.error("Confab console failed to start", error);
  var p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.textContent = "The console could not start: " + (error && error.message ? error.message : error);
  document.body.appendChild(p);
});
