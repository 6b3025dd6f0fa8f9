//! The JSON Schemas of the files people write for acnslab (topology, scenario and exercise files),
//! generated with schemars from the types that read them and shipped in `schemas/` for editors:
//! yaml-language-server's `# yaml-language-server: $schema=...` modeline, VS Code's `yaml.schemas`
//! setting. `acnslab schema KIND` prints one; a test keeps the shipped files equal to what this
//! generates. A schema gives the keys, their types, ranges and descriptions; the rules between
//! keys (one kind per step, names of the lab, unique addresses) stay the loaders' own
//! (`Topology::parse`, `scenario::parse`, `exercise::parse`). Reads no file.

/// A kind of file with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileKind {
    /// A topology file (docs/topology.md).
    Topology,
    /// A scenario file (docs/scenarios.md).
    Scenario,
    /// An exercise file (docs/exercises.md).
    Exercise,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Topology, FileKind::Scenario, FileKind::Exercise];

    /// `topology`, `scenario`, `exercise`.
    pub fn word(self) -> &'static str {
        match self {
            FileKind::Topology => "topology",
            FileKind::Scenario => "scenario",
            FileKind::Exercise => "exercise",
        }
    }

    /// Where the schema is shipped, from the top of the repository.
    pub fn shipped_path(self) -> String {
        format!("schemas/{}.schema.json", self.word())
    }

    /// The schema, generated from the types (JSON Schema 2020-12).
    pub fn schema(self) -> serde_json::Value {
        let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        let schema = match self {
            FileKind::Topology => generator.into_root_schema_for::<crate::topology::Topology>(),
            FileKind::Scenario => {
                generator.into_root_schema_for::<crate::scenario::format::RawScenario>()
            }
            FileKind::Exercise => generator.into_root_schema_for::<crate::exercise::RawExercise>(),
        };
        let mut value = schema.to_value();
        without_null(&mut value);
        value
    }

    /// The schema as shipped: pretty JSON with a newline at the end.
    pub fn text(self) -> String {
        let mut text =
            serde_json::to_string_pretty(&self.schema()).expect("a JSON value is always JSON");
        text.push('\n');
        text
    }
}

/// Drops `null` from every type an optional key may take (and its `default: null`): an editor then says what the key wants
/// (`expected a Check`) instead of "not valid under any of the given schemas". The loaders still
/// take an empty value (`key:` alone) for an absent key.
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(choices)) = map.get_mut("anyOf") {
                choices.retain(|c| c.get("type").and_then(Value::as_str) != Some("null"));
                if choices.len() == 1 {
                    if let Some(Value::Object(only)) = choices.pop() {
                        map.remove("anyOf");
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_keys_take_their_type_without_null() {
        let text = FileKind::Scenario.text();
        assert!(!text.contains("\"null\""), "{text}");
        let schema = FileKind::Scenario.schema();
        let until = &schema["$defs"]["RawStep"]["properties"]["until"];
        assert_eq!(until["$ref"], "#/$defs/Check", "{until}");
    }
}
