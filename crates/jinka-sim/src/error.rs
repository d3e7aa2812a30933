//! [`SimError`]: why a run stopped before its audit. A failed audit is not an error: it is the
//! run's result ([`crate::Audit::passed`]).

use crate::config::ConfigError;
use crate::hub_port::PortError;

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is out of its limits.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The hub could not be used.
    #[error(transparent)]
    Hub(#[from] PortError),
    /// The simulation met a state it cannot go on from (a card refusing issuance, a terminal
    /// journal failing): a bug, reported with the seed.
    #[error("simulation bug: {0}")]
    Bug(String),
}
