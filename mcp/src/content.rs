//! Content blocks of a tool result other than the one text block: images, audio, embedded
//! resources. A tool that answers with them lists no `outputSchema` (its `Output` is `()`) and
//! answers through [`Responder::content`](crate::Responder::content).

use serde::Serialize;

/// One block of a `CallToolResult`'s `content`, as MCP (2025-06-18 and later) defines it.
///
/// ```
/// use courier_mcp::Content;
///
/// let block = Content::image("iVBORw0KGgo=", "image/png");
/// assert_eq!(
///     serde_json::to_value(&block).unwrap(),
///     serde_json::json!({ "type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png" }),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Content {
    /// Text for the model to read.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// The image bytes, base64-encoded.
        data: String,
        /// Its MIME type, such as `image/png`.
        mime_type: String,
    },
    /// Audio.
    Audio {
        /// The audio bytes, base64-encoded.
        data: String,
        /// Its MIME type, such as `audio/wav`.
        mime_type: String,
    },
    /// A resource embedded in the result.
    Resource {
        /// The resource.
        resource: EmbeddedResource,
    },
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An image block: `data` is base64.
    pub fn image(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Image {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An audio block: `data` is base64.
    pub fn audio(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Audio {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An embedded text resource.
    pub fn resource_text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self::Resource {
            resource: EmbeddedResource {
                uri: uri.into(),
                mime_type: mime_type.into(),
                text: text.into(),
            },
        }
    }
}

/// The text contents of a resource embedded in a result (`TextResourceContents`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmbeddedResource {
    /// The resource's URI.
    pub uri: String,
    /// Its MIME type.
    pub mime_type: String,
    /// Its text.
    pub text: String,
}
