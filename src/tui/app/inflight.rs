//! The one registry of requests `app` has issued and still awaits. An effect
//! that will answer carries a fresh id recorded here with what it is for; its
//! result is applied only if the id is still open, so a result for a request
//! that was cancelled, refreshed or replaced is ignored.

use std::collections::HashMap;

use super::browse::tree::ListingId;
use super::msg::{Effect, PaneSide, RequestId};

/// What a request id was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pending {
    Connection(PaneSide),
    Buckets(PaneSide),
    List(PaneSide, ListingId),
    Status(PaneSide),
    Summary,
    Size(PaneSide),
    Preview,
    Compare,
}

#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    next: RequestId,
    open: HashMap<RequestId, Pending>,
}

impl Default for InFlight {
    fn default() -> InFlight {
        // Ids start at 1 so a zero in a test or a log never looks like a live request.
        InFlight {
            next: 1,
            open: HashMap::new(),
        }
    }
}

impl InFlight {
    /// Records a new request for `what`.
    pub(crate) fn issue(&mut self, what: Pending) -> RequestId {
        let id = self.next;
        self.next += 1;
        self.open.insert(id, what);
        id
    }

    /// What an open request is for, leaving it open (for results that arrive
    /// in several parts).
    pub(crate) fn get(&self, id: RequestId) -> Option<&Pending> {
        self.open.get(&id)
    }

    /// A result arrived: closes the request and says what it was for, or
    /// `None` when nobody waits for it any more.
    pub(crate) fn settle(&mut self, id: RequestId) -> Option<Pending> {
        self.open.remove(&id)
    }

    /// Closes a request whose effect was never sent, or whose late result
    /// must be ignored.
    pub(crate) fn forget(&mut self, id: RequestId) {
        self.open.remove(&id);
    }

    /// Closes a request and stops its task.
    pub(crate) fn cancel(&mut self, id: RequestId) -> Effect {
        self.open.remove(&id);
        Effect::Cancel { request: id }
    }

    /// Stops a request's task if it is still open; nothing when it already ended.
    pub(crate) fn cancel_open(&mut self, id: RequestId) -> Option<Effect> {
        self.open
            .remove(&id)
            .map(|_| Effect::Cancel { request: id })
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_taken_once_and_late_ones_are_ignored() {
        let mut f = InFlight::default();
        let a = f.issue(Pending::Preview);
        let b = f.issue(Pending::Compare);
        let c = f.issue(Pending::Size(PaneSide::Left));
        assert_ne!(a, b);
        assert_eq!(f.settle(a), Some(Pending::Preview));
        assert_eq!(f.settle(a), None, "a second answer is stale");
        assert_eq!(f.cancel_open(a), None, "nothing to stop once answered");
        assert_eq!(f.cancel_open(b), Some(Effect::Cancel { request: b }));
        assert_eq!(f.get(c), Some(&Pending::Size(PaneSide::Left)));
        assert_eq!(f.cancel(c), Effect::Cancel { request: c });
        assert_eq!(f.len(), 0);
    }
}
