//! The client's settings.

use std::time::Duration;

use crate::client::EraPreference;

/// How a client connects and calls: eras to try, timeouts, limits.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) client_name: String,
    pub(crate) era: EraPreference,
    pub(crate) handshake_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) in_flight_max: usize,
    pub(crate) message_size_max_bytes: usize,
    pub(crate) shutdown_grace: Duration,
}

impl Default for ClientConfig {
    /// Both eras (modern first); 10 s per handshake step; 30 s per call; 1024 calls in
    /// flight; answers up to 16 MiB; 1 s for the server to exit after its stdin closes.
    fn default() -> ClientConfig {
        ClientConfig {
            client_name: "courier".to_owned(),
            era: EraPreference::Auto,
            handshake_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
            in_flight_max: 1024,
            message_size_max_bytes: 16 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

impl ClientConfig {
    /// The name sent as `clientInfo.name`.
    #[must_use]
    pub fn with_client_name(mut self, name: impl Into<String>) -> ClientConfig {
        self.client_name = name.into();
        self
    }

    /// Which eras the handshake tries.
    #[must_use]
    pub fn with_era(mut self, era: EraPreference) -> ClientConfig {
        self.era = era;
        self
    }

    /// How long each handshake request may take (a `server/discover` that times out falls
    /// back to `initialize`).
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// The default timeout of a call; when it passes, the call fails and the server gets
    /// `notifications/cancelled` for it.
    #[must_use]
    pub fn with_call_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.call_timeout = timeout;
        self
    }

    /// The most calls in flight at once; more are refused with
    /// [`ClientError::Overloaded`](crate::client::ClientError::Overloaded).
    ///
    /// # Panics
    /// If `in_flight_max` is 0.
    #[must_use]
    pub fn with_in_flight_max(mut self, in_flight_max: usize) -> ClientConfig {
        assert!(in_flight_max > 0, "in_flight_max must be at least 1");
        self.in_flight_max = in_flight_max;
        self
    }

    /// The longest line accepted from the server.
    #[must_use]
    pub fn with_message_size_max_bytes(mut self, size_max_bytes: usize) -> ClientConfig {
        self.message_size_max_bytes = size_max_bytes;
        self
    }

    /// How long a stopping client lets the server exit on its own, after closing its stdin,
    /// before killing it.
    #[must_use]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> ClientConfig {
        self.shutdown_grace = grace;
        self
    }

    /// The default call timeout.
    #[must_use]
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }
}
