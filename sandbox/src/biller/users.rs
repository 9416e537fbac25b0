//! Every distinct client user ID once. Their lowercased forms sit end to end
//! in one buffer, so `search` is one substring scan over the distinct users
//! (a third of the records) instead of a string comparison per record.

use std::collections::HashMap;

use memchr::memmem::Finder;

/// Keeps one user's lowercased ID from running into the next in the buffer.
const SEPARATOR: char = '\u{0}';

#[derive(Default)]
pub struct Users {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    lowered: String,
    /// Where each user's lowercased ID starts in `lowered`.
    starts: Vec<usize>,
    /// Each user's records, as positions in list order; maintained by the store.
    pub records: Vec<Vec<u32>>,
}

impl Users {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        self.starts.push(self.lowered.len());
        self.lowered.push_str(&name.to_lowercase());
        self.lowered.push(SEPARATOR);
        self.records.push(Vec::new());
        id
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }

    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Which users' lowercased IDs contain `needle` (already lowercased).
    pub fn matching(&self, needle: &str) -> Vec<bool> {
        let mut hits = vec![false; self.names.len()];
        if needle.contains(SEPARATOR) {
            return hits;
        }
        let haystack = self.lowered.as_bytes();
        let finder = Finder::new(needle.as_bytes());
        let mut from = 0;
        let mut user = 0;
        while let Some(found) = finder.find(&haystack[from..]) {
            let at = from + found;
            // Matches come in order, so the owning user only moves forward.
            while user + 1 < self.starts.len() && self.starts[user + 1] <= at {
                user += 1;
            }
            hits[user] = true;
            // One hit per user is enough: jump to the next user.
            match self.starts.get(user + 1) {
                Some(&next) => from = next,
                None => break,
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_searches_case_insensitively() {
        let mut users = Users::default();
        let a = users.intern("María.Gómez@example.com");
        let b = users.intern("user_42");
        let c = users.intern("USER_4");
        assert_eq!(users.intern("user_42"), b);
        assert_eq!(users.name(a), "María.Gómez@example.com");
        assert_eq!(users.find("USER_4"), Some(c));
        assert_eq!(users.find("user_4"), None);
        assert_eq!(users.matching("user_4"), vec![false, true, true]);
        assert_eq!(users.matching("maría"), vec![true, false, false]);
        assert_eq!(users.matching("com"), vec![true, false, false]);
        // No match across the boundary between two users.
        assert_eq!(users.matching("42user"), vec![false, false, false]);
        assert_eq!(users.matching("m\u{0}u"), vec![false, false, false]);
    }
}
