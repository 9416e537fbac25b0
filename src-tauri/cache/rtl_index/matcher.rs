//! A list query resolved against one index: codes for the exact filters,
//! bitmaps over slots for the user ID filter and the search.

use memchr::memmem;

use super::{Query, RtlIndex, StrColumn, SEPARATOR};

/// A query resolved to codes and bitmaps over slots.
pub(super) struct Matcher {
    /// `ANY`, or the status code to match.
    status: u32,
    /// `ANY`, or the biller code to match.
    biller: u32,
    /// Slots whose client user ID equals the filter.
    user: Option<Vec<u64>>,
    /// Slots whose lowercased user ID contains the search, and which biller
    /// codes have a name that contains it.
    search: Option<(Vec<u64>, Vec<bool>)>,
}

const ANY: u32 = u32::MAX;

fn bit(bits: &[u64], s: usize) -> bool {
    bits[s / 64] & (1 << (s % 64)) != 0
}

/// The slot of every entry of `col` that contains `needle`, as a bitmap: one
/// `memmem` pass over the whole buffer.
fn hits(col: &StrColumn, needle: &[u8], mut keep: impl FnMut(u32, usize) -> bool) -> Vec<u64> {
    let mut bits = vec![0u64; (col.starts.len() - 1).div_ceil(64)];
    let mut slot = 0usize;
    for pos in memmem::find_iter(&col.buf, needle) {
        // Positions only grow, so the slot cursor only moves forward.
        while col.starts[slot + 1] as usize <= pos {
            slot += 1;
        }
        if keep(slot as u32, pos) {
            bits[slot / 64] |= 1 << (slot % 64);
        }
    }
    bits
}

impl Matcher {
    /// None when no row can match (a status or biller the index has never seen).
    pub(super) fn new(ix: &RtlIndex, q: &Query) -> Option<Self> {
        let status = match q.status {
            Some(s) => ix.statuses.find(s)?,
            None => ANY,
        };
        let biller = match q.biller_id {
            Some(b) => ix.billers.find(b)?,
            None => ANY,
        };
        let user = q.client_user_id.map(|exact| {
            // The whole entry: the needle with the separator that ends it,
            // starting where the entry starts.
            let mut needle = exact.to_lowercase().into_bytes();
            let len = needle.len();
            needle.push(SEPARATOR);
            hits(&ix.users_lc, &needle, |slot, pos| {
                pos == ix.users_lc.starts[slot as usize] as usize
                    && ix.user(slot) == exact.as_bytes()
                    && len + 1 == (ix.users_lc.starts[slot as usize + 1] as usize - pos)
            })
        });
        let search = q.search.map(|(needle, biller_hits)| {
            let by_name = ix
                .billers
                .values
                .iter()
                .map(|b| b.as_ref().is_some_and(|id| biller_hits.contains(id)))
                .collect();
            (hits(&ix.users_lc, needle.as_bytes(), |_, _| true), by_name)
        });
        Some(Self {
            status,
            biller,
            user,
            search,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.status == ANY && self.biller == ANY && self.user.is_none() && self.search.is_none()
    }

    /// Every test is evaluated (`&`, not `&&`): no data-dependent branch.
    #[inline]
    pub(super) fn matches(&self, ix: &RtlIndex, slot: u32) -> bool {
        let s = slot as usize;
        let status = self.status == ANY || ix.status[s] == self.status;
        let biller = self.biller == ANY || ix.biller[s] == self.biller;
        let user = self.user.as_ref().is_none_or(|u| bit(u, s));
        let search = self
            .search
            .as_ref()
            .is_none_or(|(hits, by_name)| bit(hits, s) | by_name[ix.biller[s] as usize]);
        status & biller & user & search
    }
}
