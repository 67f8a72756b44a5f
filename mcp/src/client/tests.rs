use serde_json::json;

use crate::client::{CallResult, ClientError, ToolInfo};
use crate::error::{ErrorCode, RpcError};

#[test]
fn a_call_result_keeps_content_structured_content_and_is_error() {
    let result = CallResult::from_json(json!({
        "content": [
            { "type": "text", "text": "one" },
            { "type": "image", "data": "AA==", "mimeType": "image/png" },
            { "type": "text", "text": "two" },
        ],
        "structuredContent": { "n": 2 },
        "isError": true,
        "resultType": "complete",
    }))
    .unwrap();
    assert_eq!(result.content.len(), 3);
    assert_eq!(result.structured_content, Some(json!({ "n": 2 })));
    assert!(result.is_error);
    assert_eq!(result.text(), "one\ntwo");
}

#[test]
fn a_call_result_without_content_is_refused_and_null_structured_content_is_none() {
    assert_eq!(
        CallResult::from_json(json!({ "structuredContent": {} })),
        None
    );
    assert_eq!(CallResult::from_json(json!({ "content": "text" })), None);
    let result =
        CallResult::from_json(json!({ "content": [], "structuredContent": null })).unwrap();
    assert_eq!(result.structured_content, None);
    assert!(!result.is_error);
}

#[test]
fn a_tool_without_a_name_is_skipped_and_a_missing_schema_is_an_empty_object() {
    assert_eq!(ToolInfo::from_json(&json!({ "description": "x" })), None);
    let tool = ToolInfo::from_json(&json!({ "name": "t", "title": "T" })).unwrap();
    assert_eq!(tool.title.as_deref(), Some("T"));
    assert_eq!(tool.input_schema, json!({}));
    assert_eq!(tool.output_schema, None);
}

#[test]
fn only_errors_that_say_the_server_is_unwell_count_against_it() {
    let rpc = |code| ClientError::Rpc {
        server: "s".into(),
        method: "tools/call".into(),
        error: RpcError {
            code,
            message: "m".into(),
            data: None,
        },
    };
    assert!(!rpc(ErrorCode::INVALID_PARAMS).is_server_fault());
    assert!(rpc(ErrorCode::INTERNAL_ERROR).is_server_fault());
    let disconnected = ClientError::Disconnected {
        server: "s".into(),
        reason: "gone".into(),
    };
    assert!(disconnected.is_server_fault());
    let failed = ClientError::ToolFailed {
        tool: "t".into(),
        message: "no".into(),
    };
    assert!(!failed.is_server_fault());
}
