//! What wasm-rr keeps between runs, in the user's cache directory (`$WASM_RR_CACHE_DIR`,
//! else `$XDG_CACHE_HOME/wasm-rr` or `~/.cache/wasm-rr`), as `wasmtime` keeps its own:
//!
//! - compiled components, keyed by what they are made from: a warm start neither composes
//!   nor compiles;
//! - compiled functions (`functions/`), Cranelift's incremental compilation cache: the
//!   interposer is the same in every composition, so the first run of a new app compiles
//!   the app and the glue around it, and takes the interposer's code from here.
//!
//! Both are best effort: a failure to use them only costs time. Each entry carries a
//! CRC-32C of its bytes, checked before use: a damaged entry (a flipped bit on disk, a
//! file cut short) is compiled again, never handed to wasmtime, whose deserialization
//! trusts what it is given.

use crate::host::{engine, Compilation};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::PathBuf;
use wasmtime::component::Component;

/// The component that `make` gives, compiled for [`engine`] (a `concurrent` one: see
/// [`crate::host::concurrent`]). Compiled components are
/// cached, as `wasmtime` caches them, in the user's cache directory (`$WASM_RR_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/wasm-rr` or `~/.cache/wasm-rr`), keyed by `inputs` (what `make`
/// derives the component from) and this wasm-rr's version; a warm start neither composes
/// nor compiles. The cache is best effort: a failure to use it only costs time.
pub fn component(
    inputs: &[&[u8]],
    compilation: Compilation,
    concurrent: bool,
    make: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<Component> {
    let engine = engine(compilation, concurrent)?;
    let mut key = Sha256::new();
    key.update(env!("CARGO_PKG_VERSION"));
    key.update(format!("{compilation:?} concurrent {concurrent}"));
    for input in inputs {
        key.update((input.len() as u64).to_le_bytes());
        key.update(input);
    }
    let key = crate::hex(&key.finalize());
    let path = dir().map(|dir| dir.join(format!("{key}.cwasm")));
    let cached = path.as_ref().and_then(|path| std::fs::read(path).ok());
    if let Some(compiled) = cached.as_deref().and_then(checked) {
        // SAFETY: the bytes are intact (their CRC-32C matches) and were written by this
        // function with `Component::serialize` for the same wasm-rr; wasmtime checks that
        // they were compiled for this engine's settings.
        if let Ok(component) = unsafe { Component::deserialize(&engine, compiled) } {
            return Ok(component);
        }
    }
    let component = Component::new(&engine, make()?)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;
    if let (Some(path), Ok(mut bytes)) = (path, component.serialize()) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        bytes.extend_from_slice(&crc32c::crc32c(&bytes).to_le_bytes());
        let _ = crate::write_replacing(&path, &bytes);
    }
    Ok(component)
}

/// The bytes of a cache entry (its CRC-32C after them), if they are intact.
fn checked(entry: &[u8]) -> Option<&[u8]> {
    let (bytes, crc) = entry.split_last_chunk::<4>()?;
    (crc32c::crc32c(bytes) == u32::from_le_bytes(*crc)).then_some(bytes)
}

fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASM_RR_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("wasm-rr"))
}

/// Cranelift's incremental compilation cache, in one file (`functions.pack`) of records, each
/// a compiled function: its key's length (4 bytes, little-endian), the key, its code's
/// length, the code, and the CRC-32C of all that. It is read whole on the first lookup
/// (the interposer's functions are a few MB), and a new function is appended in one write,
/// which concurrent runs may do at once; a record cut short (a run killed while appending)
/// ends what is read, and a damaged one throws the whole pack away.
#[derive(Debug)]
pub struct FunctionCache {
    path: PathBuf,
    loaded: std::sync::OnceLock<Functions>,
}

/// The functions read from the pack: the pack's bytes, and where each key's code is.
#[derive(Debug, Default)]
struct Functions {
    pack: Vec<u8>,
    code: std::collections::HashMap<Vec<u8>, std::ops::Range<usize>>,
}

/// A pack grown beyond this (many apps' functions, older interposers') is started anew:
/// it is read whole, so this bounds what a first compilation holds of it.
const MAX_PACK_BYTES: u64 = 64 << 20;

impl FunctionCache {
    /// The cache in the user's cache directory, if there is one.
    pub fn open() -> Option<FunctionCache> {
        Some(FunctionCache {
            path: dir()?.join("functions.pack"),
            loaded: std::sync::OnceLock::new(),
        })
    }

    fn functions(&self) -> &Functions {
        self.loaded.get_or_init(|| {
            let pack = match std::fs::metadata(&self.path) {
                Ok(metadata) if metadata.len() > MAX_PACK_BYTES => {
                    let _ = std::fs::remove_file(&self.path);
                    Vec::new()
                }
                _ => std::fs::read(&self.path).unwrap_or_default(),
            };
            let mut code = std::collections::HashMap::new();
            let mut at = 0;
            // The next `len` bytes, or the next four as a number.
            let take = |at: &mut usize, len: usize| {
                let range = *at..at.checked_add(len)?;
                pack.get(range.clone())?;
                *at = range.end;
                Some(range)
            };
            let number = |at: &mut usize| {
                let bytes = take(at, 4)?;
                Some(u32::from_le_bytes(pack[bytes].try_into().ok()?))
            };
            let field = |at: &mut usize| {
                let len = number(at)?;
                take(at, len as usize)
            };
            loop {
                let start = at;
                let (Some(key), Some(value), Some(crc)) =
                    (field(&mut at), field(&mut at), number(&mut at))
                else {
                    break;
                };
                if crc32c::crc32c(&pack[start..value.end]) != crc {
                    let _ = std::fs::remove_file(&self.path);
                    return Functions::default();
                }
                code.insert(pack[key].to_vec(), value);
            }
            Functions { pack, code }
        })
    }
}

impl wasmtime::CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let functions = self.functions();
        let range = functions.code.get(key)?.clone();
        Some(Cow::Borrowed(&functions.pack[range]))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        use std::io::Write;
        let mut record = Vec::with_capacity(12 + key.len() + value.len());
        for field in [key, &value] {
            record.extend_from_slice(&(field.len() as u32).to_le_bytes());
            record.extend_from_slice(field);
        }
        record.extend_from_slice(&crc32c::crc32c(&record).to_le_bytes());
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
        };
        // The cache directory is made once, by the first insert that finds it missing.
        open()
            .or_else(|_| {
                std::fs::create_dir_all(self.path.parent().unwrap_or(&self.path))?;
                open()
            })
            .and_then(|mut pack| pack.write_all(&record))
            .is_ok()
    }
}
