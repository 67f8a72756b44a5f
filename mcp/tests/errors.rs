//! The one mapping from bridge errors to JSON-RPC error objects, variant by variant, including
//! the -32603 that no well-formed exchange with the server produces today.

use std::io;

use courier_mcp::{BridgeError, ErrorCode, RpcError};
use serde_json::json;

fn code(error: BridgeError) -> i32 {
    RpcError::from(error).code.0
}

#[test]
fn each_bridge_error_maps_to_its_json_rpc_code() {
    let text = |s: &str| s.to_owned();
    assert_eq!(code(BridgeError::Parse { detail: text("x") }), -32700);
    assert_eq!(
        code(BridgeError::InvalidRequest { reason: text("x") }),
        -32600
    );
    assert_eq!(code(BridgeError::Oversized { size_max_bytes: 1 }), -32600);
    assert_eq!(
        code(BridgeError::MethodNotFound { method: text("x") }),
        -32601
    );
    assert_eq!(
        code(BridgeError::InvalidParams { reason: text("x") }),
        -32602
    );
    assert_eq!(code(BridgeError::MissingMeta { missing: "k" }), -32602);
    assert_eq!(code(BridgeError::UnknownTool { name: text("x") }), -32602);
    assert_eq!(
        code(BridgeError::InvalidCursor { cursor: text("x") }),
        -32602
    );
    let unsupported = BridgeError::UnsupportedProtocolVersion {
        requested: text("1"),
        supported: vec!["2026-07-28"],
    };
    assert_eq!(code(unsupported), ErrorCode::UNSUPPORTED_PROTOCOL_VERSION.0);
    assert_eq!(code(BridgeError::Internal { reason: text("x") }), -32603);
    assert_eq!(code(BridgeError::Io(io::Error::other("x"))), -32603);
    assert_eq!(code(BridgeError::DuplicateTool { name: text("x") }), -32603);
}

#[test]
fn unsupported_version_and_oversized_errors_carry_their_data() {
    let error = RpcError::from(BridgeError::UnsupportedProtocolVersion {
        requested: "1900-01-01".to_owned(),
        supported: vec!["2026-07-28"],
    });
    assert_eq!(
        error.to_json(),
        json!({
            "code": -32022,
            "message": "unsupported protocol version \"1900-01-01\"; supported: [\"2026-07-28\"]",
            "data": { "supported": ["2026-07-28"], "requested": "1900-01-01" },
        })
    );
    let error = RpcError::from(BridgeError::Oversized {
        size_max_bytes: 4096,
    });
    assert_eq!(error.data, Some(json!({ "maxBytes": 4096 })));
    assert!(error.message.contains("4096 bytes"), "{}", error.message);
}
