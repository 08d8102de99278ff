//! The API's contract for tests: `openapi.yaml` and its schemas, for the API crate's contract
//! test and the CLI's tests, which check what they read and print against it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// The repository's root: the parent of `tests/`.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

pub fn read_repo_file(path: &str) -> String {
    let full = repo_root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// `openapi.yaml`, as JSON.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_norway::from_str(&read_repo_file("openapi.yaml"))
            .unwrap_or_else(|e| panic!("openapi.yaml is not valid YAML: {e}"))
    })
}

/// A validator for `#/components/schemas/{name}`, with the document's components around it so
/// that every `$ref` resolves; formats (`date-time`) are asserted, not just annotated. Built once
/// per schema (its patterns are large).
pub fn validator(name: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().unwrap().get(name) {
        return Arc::clone(found);
    }
    let built = Arc::new(build_validator(name));
    cache
        .lock()
        .unwrap()
        .insert(name.to_owned(), Arc::clone(&built));
    built
}

fn build_validator(name: &str) -> jsonschema::Validator {
    let doc = document();
    assert!(
        doc["components"]["schemas"].get(name).is_some(),
        "openapi.yaml has no schema {name}"
    );
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema {name} does not compile: {e}"))
}

/// Why `value` does not match the schema `name` (empty when it does).
pub fn schema_errors(name: &str, value: &Value) -> Vec<String> {
    validator(name)
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

pub fn assert_matches_schema(name: &str, value: &Value) {
    let errors = schema_errors(name, value);
    assert!(
        errors.is_empty(),
        "this does not match openapi.yaml's {name}:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(value).unwrap()
    );
}
