//! [`LineOrigin`]: what a stored window line sums over, as the engines keep it in
//! `window_lines` (`origin`, `acquirer_id`, `batch_id`): one batch, the window's online loads,
//! or the window's refunds of closed cards (`jinka_ledger::LineSource`).

use jinka_ledger::LineSource;

/// What a window line sums over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LineOrigin {
    /// One batch: its acquirer and the acquirer's batch id.
    Batch {
        /// The acquirer that uploaded it.
        acquirer: u32,
        /// Its id.
        batch_id: String,
    },
    /// The window's online loads.
    OnlineLoads,
    /// The window's refunds of closed cards.
    CardClosings,
}

impl LineOrigin {
    /// The ledger's line source.
    pub(crate) fn of(source: &LineSource) -> LineOrigin {
        match source {
            LineSource::Batch(batch) => LineOrigin::Batch {
                acquirer: batch.acquirer.get(),
                batch_id: batch.batch_id.as_str().to_owned(),
            },
            LineSource::OnlineLoads => LineOrigin::OnlineLoads,
            LineSource::CardClosings => LineOrigin::CardClosings,
        }
    }

    /// Its name in `window_lines.origin` and in the ledger's JSON.
    pub(crate) const fn name(&self) -> &'static str {
        match self {
            LineOrigin::Batch { .. } => "batch",
            LineOrigin::OnlineLoads => "online-loads",
            LineOrigin::CardClosings => "card-closings",
        }
    }

    /// Its columns: origin, acquirer id and batch id (0 and `""` but for a batch).
    pub(crate) fn columns(&self) -> (&'static str, u32, &str) {
        match self {
            LineOrigin::Batch { acquirer, batch_id } => (self.name(), *acquirer, batch_id),
            LineOrigin::OnlineLoads | LineOrigin::CardClosings => (self.name(), 0, ""),
        }
    }

    /// Reads its columns back (`None`: an origin this hub does not know).
    pub(crate) fn from_columns(
        origin: &str,
        acquirer: u32,
        batch_id: String,
    ) -> Option<LineOrigin> {
        match origin {
            "batch" => Some(LineOrigin::Batch { acquirer, batch_id }),
            "online-loads" => Some(LineOrigin::OnlineLoads),
            "card-closings" => Some(LineOrigin::CardClosings),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back() {
        let origins = [
            LineOrigin::Batch {
                acquirer: 4,
                batch_id: "B-1".to_owned(),
            },
            LineOrigin::OnlineLoads,
            LineOrigin::CardClosings,
        ];
        for origin in origins {
            let (name, acquirer, batch_id) = origin.columns();
            let back = LineOrigin::from_columns(name, acquirer, batch_id.to_owned());
            assert_eq!(back, Some(origin));
        }
        assert_eq!(LineOrigin::from_columns("refunds", 0, String::new()), None);
    }
}
