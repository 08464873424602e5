//! Where the general path does not record a call as it records every other: the rules, as
//! data, in one table. (The WASI interposer's, for HTTP headers, are [`crate::Redaction`]'s.)

use super::{Function, Value, WitType};

/// Secrets among a function's values. The trace keeps, for each value whose name says it
/// is a secret ([`is_secret`]), a keyed hash in its place ([`crate::Redaction::hash`]),
/// as for HTTP headers: the guest gets the value while recording, and the hash in replay.
#[derive(Debug)]
pub struct Secrets {
    /// `interface#function`, the interface without its version.
    pub function: &'static str,
    /// Where the names are in the call: a [path](select).
    pub names: &'static str,
    /// Where their values are, in the same order: strings, or byte lists.
    pub values: &'static str,
}

/// The secrets of the functions the general path records.
pub const SECRETS: &[Secrets] = &[
    // wasi:config's variables hold credentials as often as settings.
    Secrets {
        function: "wasi:config/store#get",
        names: "args.0",
        values: "result.ok.some",
    },
    Secrets {
        function: "wasi:config/store#get-all",
        names: "result.ok.[].0",
        values: "result.ok.[].1",
    },
];

/// The words that make a name a secret's, in any case: `API_KEY`, `db-password`.
pub const SECRET_WORDS: &[&str] = &[
    "auth",
    "credential",
    "key",
    "passwd",
    "password",
    "private",
    "secret",
    "token",
];

/// Whether `name` names a secret: it holds one of [`SECRET_WORDS`].
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// The rule for the secrets of `function` (named `interface@version#function`), if any.
pub fn secrets_of(function: &str) -> Option<&'static Secrets> {
    let unversioned = unversioned(function);
    SECRETS.iter().find(|rule| rule.function == unversioned)
}

/// The functions that end the run instead of returning. The general path records no call
/// of them (the trace's end says how the run ended), and calls them in replay as well:
/// they reach nothing of the host but the run's own end.
pub const ENDS_THE_RUN: &[&str] = &["wasi:cli/exit#exit", "wasi:cli/exit#exit-with-code"];

/// Whether `function` (named `interface@version#function`) is one of [`ENDS_THE_RUN`].
pub fn ends_the_run(function: &str) -> bool {
    ENDS_THE_RUN.contains(&unversioned(function).as_str())
}

/// `interface#function` of `interface@version#function`.
fn unversioned(function: &str) -> String {
    match function.split_once('#') {
        Some((interface, name)) => {
            let interface = interface.split_once('@').map_or(interface, |(i, _)| i);
            format!("{interface}#{name}")
        }
        None => function.to_string(),
    }
}

/// Replaces, in `result` (a call of `function` with `args`), each secret that `rule` finds
/// with `hash(name, value)`; whether any was.
pub fn hide_secrets(
    rule: &Secrets,
    function: &Function,
    args: &mut [Value],
    result: &mut Value,
    hash: impl Fn(&[u8], &[u8]) -> String,
) -> bool {
    let names: Vec<Vec<u8>> = select_in_call(function, args, result, rule.names)
        .into_iter()
        .filter_map(|value| bytes_of(value).map(<[u8]>::to_vec))
        .collect();
    let mut hidden = false;
    let values = select_in_call(function, args, result, rule.values);
    for (name, value) in names.iter().zip(values) {
        let secret = std::str::from_utf8(name).is_ok_and(is_secret);
        if let (true, Some(bytes)) = (secret, bytes_of(value)) {
            let hashed = hash(name, bytes);
            *value = match value {
                Value::Bytes(_) => Value::Bytes(hashed.into_bytes()),
                _ => Value::String(hashed),
            };
            hidden = true;
        }
    }
    hidden
}

fn bytes_of(value: &Value) -> Option<&[u8]> {
    match value {
        Value::String(text) => Some(text.as_bytes()),
        Value::Bytes(bytes) => Some(bytes),
        _ => None,
    }
}

/// The values at `path` in a call: `args.N...` in its arguments, `result...` in its result.
fn select_in_call<'v>(
    function: &Function,
    args: &'v mut [Value],
    result: &'v mut Value,
    path: &str,
) -> Vec<&'v mut Value> {
    let mut segments = path.split('.');
    let mut found = Vec::new();
    match segments.next() {
        Some("args") => {
            let index = segments.next().and_then(|n| n.parse::<usize>().ok());
            if let (Some(index), Some(ty)) = (index, index.and_then(|i| function.params.get(i))) {
                if let Some(value) = args.get_mut(index) {
                    select(ty, value, &segments.collect::<Vec<_>>(), &mut found);
                }
            }
        }
        Some("result") => {
            if let Some(ty) = &function.result {
                select(ty, result, &segments.collect::<Vec<_>>(), &mut found);
            }
        }
        _ => {}
    }
    found
}

/// The values at `path` in `value` (of type `ty`): each segment is `ok`, `err` or `some`
/// (the payload of that case, if it is the case), `[]` (every element of a list), or a
/// field, by name or position (of a record or tuple).
pub fn select<'v>(
    ty: &WitType,
    value: &'v mut Value,
    path: &[&str],
    found: &mut Vec<&'v mut Value>,
) {
    let Some((segment, rest)) = path.split_first() else {
        found.push(value);
        return;
    };
    match (ty, value, *segment) {
        (WitType::Result(Some(ty), _), Value::Variant(0, Some(payload)), "ok")
        | (WitType::Result(_, Some(ty)), Value::Variant(1, Some(payload)), "err")
        | (WitType::Option(ty), Value::Variant(1, Some(payload)), "some") => {
            select(ty, payload, rest, found)
        }
        (WitType::List(ty), Value::List(values), "[]") => {
            for value in values {
                select(ty, value, rest, found);
            }
        }
        (WitType::Tuple(types), Value::Tuple(values), field) => {
            if let Ok(index) = field.parse::<usize>() {
                if let (Some(ty), Some(value)) = (types.get(index), values.get_mut(index)) {
                    select(ty, value, rest, found);
                }
            }
        }
        (WitType::Record(fields), Value::Record(values), field) => {
            let index = field
                .parse::<usize>()
                .ok()
                .or_else(|| fields.iter().position(|(name, _)| name == field));
            if let Some(index) = index {
                if let (Some((_, ty)), Some(value)) = (fields.get(index), values.get_mut(index)) {
                    select(ty, value, rest, found);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_get_all() -> Function {
        let pairs = WitType::List(Box::new(WitType::Tuple(vec![
            WitType::String,
            WitType::String,
        ])));
        Function {
            name: "wasi:config/store@0.2.0-rc.1#get-all".into(),
            params: Vec::new(),
            result: Some(WitType::Result(Some(Box::new(pairs)), None)),
        }
    }

    #[test]
    fn the_values_of_secret_names_are_hashed_and_the_others_kept() {
        let function = config_get_all();
        let rule = secrets_of(&function.name).unwrap();
        let pair = |name: &str, value: &str| {
            Value::Tuple(vec![
                Value::String(name.into()),
                Value::String(value.into()),
            ])
        };
        let mut result = Value::Variant(
            0,
            Some(Box::new(Value::List(vec![
                pair("greeting", "hello"),
                pair("API_KEY", "s3cr3t"),
            ]))),
        );
        let hash = |name: &[u8], value: &[u8]| crate::Redaction::hash(b"k", name, value);
        assert!(hide_secrets(rule, &function, &mut [], &mut result, hash));
        let expected = Value::Variant(
            0,
            Some(Box::new(Value::List(vec![
                pair("greeting", "hello"),
                pair("API_KEY", &hash(b"API_KEY", b"s3cr3t")),
            ]))),
        );
        assert_eq!(result, expected);
        assert!(secrets_of("acme:plugin/host@0.1.0#greet").is_none());
    }
}
