use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Tool, inline};
use crate::call::ToolError;

/// Integers of every width, a float, a standard format and nesting (through `$defs`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only the schema is looked at")]
struct Numbers {
    small: u8,
    port: u16,
    count: u64,
    offset: i32,
    ratio: f64,
    inner: Vec<Inner>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[expect(dead_code, reason = "only the schema is looked at")]
struct Inner {
    id: u32,
    at: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Out {
    total: u64,
}

fn formats(schema: &Value, found: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::String(format)) = object.get("format") {
                found.push(format.clone());
            }
            object.values().for_each(|value| formats(value, found));
        }
        Value::Array(values) => values.iter().for_each(|value| formats(value, found)),
        _ => {}
    }
}

fn numbers_tool() -> Tool {
    Tool::new(
        "numbers",
        "Numbers.",
        inline(|_: Numbers, _context| Ok::<_, ToolError>(Out { total: 0 })),
    )
    .unwrap()
}

#[test]
fn schemas_carry_no_nonstandard_formats() {
    let tool = numbers_tool();
    let mut found = Vec::new();
    formats(tool.input_schema(), &mut found);
    formats(tool.output_schema().unwrap(), &mut found);
    assert!(
        found.is_empty(),
        "formats left: {found:?} in {}",
        tool.to_json()
    );
}

#[test]
fn integer_bounds_survive_the_format_stripping() {
    let tool = numbers_tool();
    let properties = &tool.input_schema()["properties"];
    assert_eq!(properties["port"]["minimum"], json!(0));
    assert_eq!(properties["port"]["maximum"], json!(65535));
    assert_eq!(properties["small"]["maximum"], json!(255));
    assert_eq!(properties["count"]["minimum"], json!(0));
    assert_eq!(properties["offset"]["minimum"], json!(i32::MIN));
    let inner = &tool.input_schema()["$defs"]["Inner"]["properties"];
    assert_eq!(inner["id"]["maximum"], json!(u32::MAX));
    assert!(tool.input_schema().get("$schema").is_none());
}

#[test]
fn standard_formats_are_kept() {
    #[derive(Debug, Deserialize, JsonSchema)]
    #[expect(dead_code, reason = "only the schema is looked at")]
    struct Contact {
        #[schemars(email)]
        email: String,
        #[schemars(url)]
        home: String,
    }
    let tool = Tool::new(
        "contact",
        "A contact.",
        inline(|_: Contact, _context| Ok::<_, ToolError>(Out { total: 0 })),
    )
    .unwrap();
    let properties = &tool.input_schema()["properties"];
    assert_eq!(properties["email"]["format"], "email");
    assert_eq!(properties["home"]["format"], "uri");
}

#[test]
fn a_unit_output_lists_no_output_schema_and_the_dialect_can_be_named() {
    #[derive(Debug, Deserialize, JsonSchema)]
    struct NoArgs {}
    let tool = Tool::new(
        "blocks",
        "Blocks.",
        inline(|_: NoArgs, _context| Ok::<_, ToolError>(())),
    )
    .unwrap()
    .with_schema_dialect();
    assert!(tool.output_schema().is_none());
    let listed = tool.to_json();
    assert!(listed.get("outputSchema").is_none(), "{listed}");
    assert_eq!(
        listed["inputSchema"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}
