//! Protocol versions, eras and the per-request `_meta` of the 2026-07-28 revision.

use serde_json::{Map, Value, json};

use crate::error::BridgeError;

/// The stateless revision, served per request (`_meta`).
pub const MODERN_VERSION: &str = "2026-07-28";

/// The handshake revisions `initialize` accepts; the last is the one offered otherwise.
pub const LEGACY_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

pub(crate) const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub(crate) const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
pub(crate) const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// Which revision a request is served under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// 2025-11-25 and before: after `initialize`, no per-request metadata.
    Legacy,
    /// 2026-07-28: every request carries its version and client capabilities.
    Modern,
}

/// The era of a request: modern when its `_meta` names a protocol version (which must then be
/// one we serve, with client capabilities beside it); legacy when it names none and the
/// connection has done `initialize`; an error otherwise.
pub(crate) fn era_of(params: &Map<String, Value>, initialized: bool) -> Result<Era, BridgeError> {
    let meta = params.get("_meta").and_then(Value::as_object);
    let Some(version) = meta.and_then(|meta| meta.get(PROTOCOL_VERSION_KEY)) else {
        return if initialized {
            Ok(Era::Legacy)
        } else {
            Err(BridgeError::MissingMeta {
                missing: PROTOCOL_VERSION_KEY,
            })
        };
    };
    let Some(version) = version.as_str() else {
        return Err(BridgeError::MissingMeta {
            missing: PROTOCOL_VERSION_KEY,
        });
    };
    if version != MODERN_VERSION {
        return Err(BridgeError::UnsupportedProtocolVersion {
            requested: version.to_owned(),
            supported: vec![MODERN_VERSION],
        });
    }
    if !meta
        .and_then(|meta| meta.get(CLIENT_CAPABILITIES_KEY))
        .is_some_and(Value::is_object)
    {
        return Err(BridgeError::MissingMeta {
            missing: CLIENT_CAPABILITIES_KEY,
        });
    }
    // An unknown `_meta` log level is -32602, whatever the method
    // (`/specification/2026-07-28/server/utilities/logging`).
    crate::logging::request_log_level(params)?;
    Ok(Era::Modern)
}

/// Whether the request carries modern `_meta` at all (for methods that exist only in the
/// legacy era, such as `ping`).
pub(crate) fn has_modern_meta(params: &Map<String, Value>) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|meta| meta.contains_key(PROTOCOL_VERSION_KEY))
}

/// Adds what every 2026-07-28 result carries: `resultType` and `_meta.serverInfo`.
pub(crate) fn decorate_modern(result: &mut Value, server_info: &Value) {
    result["resultType"] = json!("complete");
    let meta = result
        .as_object_mut()
        .map(|result| result.entry("_meta").or_insert_with(|| json!({})));
    if let Some(Value::Object(meta)) = meta {
        meta.insert(SERVER_INFO_KEY.to_owned(), server_info.clone());
    }
}
