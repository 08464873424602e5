// Runs the transpiled bundle named by `?module=` (default bundle/bundle.js) with jco's
// browser WASI shim, its stdout and stderr going to the page, then shows its exit status.
// A bundle imports only stdout, stderr and exit: nothing else of the shim is reached.

import { _setStderr, _setStdout } from "@bytecodealliance/preview2-shim/cli";

/** A shim output stream's handler that appends the text to `element`. */
function toElement(element) {
  const decoder = new TextDecoder();
  return {
    write(bytes) {
      element.textContent += decoder.decode(bytes, { stream: true });
    },
    blockingFlush() {},
    flush() {},
    drop() {},
  };
}

async function replay() {
  const status = document.getElementById("status");
  _setStdout(toElement(document.getElementById("stdout")));
  _setStderr(toElement(document.getElementById("stderr")));
  const module = new URLSearchParams(location.search).get("module") ?? "bundle/bundle.js";
  document.getElementById("bundle").textContent = module.split("/").pop().replace(/\.js$/, ".wasm");
  let code;
  try {
    const bundle = await import(new URL(module, location.href).href);
    // `run` returns normally for an exit status of 0, and throws jco's ComponentError
    // (with a `payload`) when it returns an error: status 1. The shim's exit throws its
    // status.
    bundle.run.run();
    code = 0;
  } catch (error) {
    if (error?.exitError) {
      code = error.code;
    } else if (error && "payload" in error) {
      code = 1;
    } else {
      // A trap: the browser's words, as a host reports one.
      document.getElementById("stderr").textContent += `${error}\n`;
      code = "trap";
    }
  }
  status.textContent = String(code);
  document.body.dataset.done = "true";
}

replay();
