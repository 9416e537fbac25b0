//! Request-to-link records with the indexes that keep the filtered list fast at
//! a million records: every index is a vector of record positions in list order
//! (created_at DESC, id DESC), so a page of a single filter is a slice, and
//! combined filters scan only the shortest candidate vector.

use std::collections::HashMap;

use super::{
    catalog::{self, BILLERS},
    rtl_model::{parse_id, Rtl, RtlJson, RtlStatus},
    users::Users,
};

type Pos = u32;

pub struct RtlStore {
    pub client_id: String,
    records: Vec<Rtl>,
    by_id: HashMap<u64, Pos>,
    all: Vec<Pos>,
    by_status: [Vec<Pos>; 5],
    by_biller: Vec<Vec<Pos>>,
    users: Users,
    biller_names_lower: Vec<String>,
}

/// A validated list query; empty filters are already `None`.
#[derive(Debug, Default)]
pub struct RtlQuery {
    pub search: Option<String>,
    pub status: Option<RtlStatus>,
    pub client_user_id: Option<String>,
    pub biller_id: Option<String>,
    pub page: u64,
    pub limit: u64,
}

pub struct RtlPage<'a> {
    pub items: Vec<&'a Rtl>,
    pub total: usize,
}

impl RtlStore {
    pub fn new(client_id: String, records: Vec<Rtl>, users: Users) -> Self {
        let mut store = RtlStore {
            client_id,
            by_id: HashMap::with_capacity(records.len()),
            records,
            all: Vec::new(),
            by_status: Default::default(),
            by_biller: vec![Vec::new(); BILLERS.len()],
            users,
            biller_names_lower: BILLERS.iter().map(|b| b.name.to_lowercase()).collect(),
        };
        let mut order: Vec<Pos> = (0..store.records.len() as Pos).collect();
        {
            let records = &store.records;
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (&records[a as usize], &records[b as usize]);
                (b.created_at, b.id).cmp(&(a.created_at, a.id))
            });
        }
        // Pushing in list order keeps every index sorted without sorting each.
        for &pos in &order {
            let record = &store.records[pos as usize];
            store.by_id.insert(record.id, pos);
            store.by_status[record.status.index()].push(pos);
            if let Some(biller) = record.biller {
                store.by_biller[usize::from(biller)].push(pos);
            }
            store.users.records[record.user as usize].push(pos);
        }
        store.all = order;
        store
    }

    pub fn contains_id(&self, id: u64) -> bool {
        self.by_id.contains_key(&id)
    }

    pub fn position(&self, id: &str) -> Option<Pos> {
        parse_id(id).and_then(|n| self.position_of(n))
    }

    pub fn position_of(&self, id: u64) -> Option<Pos> {
        self.by_id.get(&id).copied()
    }

    pub fn get(&self, pos: Pos) -> &Rtl {
        &self.records[pos as usize]
    }

    pub fn user_name(&self, record: &Rtl) -> &str {
        self.users.name(record.user)
    }

    pub fn json<'a>(&'a self, record: &'a Rtl) -> RtlJson<'a> {
        record.json(&self.client_id, self.users.name(record.user))
    }

    pub fn intern_user(&mut self, name: &str) -> u32 {
        self.users.intern(name)
    }

    pub fn insert(&mut self, record: Rtl) -> Pos {
        let pos = self.records.len() as Pos;
        self.by_id.insert(record.id, pos);
        let (status, biller, user) = (record.status, record.biller, record.user);
        self.records.push(record);
        insert_sorted(&self.records, &mut self.all, pos);
        insert_sorted(&self.records, &mut self.by_status[status.index()], pos);
        if let Some(biller) = biller {
            insert_sorted(&self.records, &mut self.by_biller[usize::from(biller)], pos);
        }
        insert_sorted(&self.records, &mut self.users.records[user as usize], pos);
        pos
    }

    /// Applies `change` to one record and moves it between the status and
    /// biller indexes if those changed.
    pub fn update(&mut self, pos: Pos, change: impl FnOnce(&mut Rtl)) {
        let before = &self.records[pos as usize];
        let (old_status, old_biller) = (before.status, before.biller);
        change(&mut self.records[pos as usize]);
        let after = &self.records[pos as usize];
        let (new_status, new_biller) = (after.status, after.biller);
        if old_status != new_status {
            remove_sorted(&self.records, &mut self.by_status[old_status.index()], pos);
            insert_sorted(&self.records, &mut self.by_status[new_status.index()], pos);
        }
        if old_biller != new_biller {
            if let Some(b) = old_biller {
                remove_sorted(&self.records, &mut self.by_biller[usize::from(b)], pos);
            }
            if let Some(b) = new_biller {
                insert_sorted(&self.records, &mut self.by_biller[usize::from(b)], pos);
            }
        }
    }

    pub fn list(&self, query: &RtlQuery) -> RtlPage<'_> {
        let empty = RtlPage {
            items: Vec::new(),
            total: 0,
        };
        // An unknown biller or user cannot match anything.
        let biller = match query.biller_id.as_deref() {
            Some(id) => match catalog::index_of(id) {
                Some(b) => Some(b),
                None => return empty,
            },
            None => None,
        };
        let mut candidates: Vec<&[Pos]> = Vec::new();
        if let Some(status) = query.status {
            candidates.push(&self.by_status[status.index()]);
        }
        if let Some(b) = biller {
            candidates.push(&self.by_biller[usize::from(b)]);
        }
        let user = match query.client_user_id.as_deref() {
            Some(name) => match self.users.find(name) {
                Some(user) => {
                    candidates.push(&self.users.records[user as usize]);
                    Some(user)
                }
                None => return empty,
            },
            None => None,
        };
        let filters = candidates.len();
        let source = candidates
            .into_iter()
            .min_by_key(|list| list.len())
            .unwrap_or(&self.all);
        let offset = query.page.saturating_sub(1).saturating_mul(query.limit);
        let limit = query.limit as usize;

        if query.search.is_none() && filters <= 1 {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(source.len());
            let end = start.saturating_add(limit).min(source.len());
            return RtlPage {
                items: source[start..end].iter().map(|&p| self.get(p)).collect(),
                total: source.len(),
            };
        }

        let search = query.search.as_deref().map(|needle| Search {
            user_hit: self.users.matching(needle),
            biller_hit: self
                .biller_names_lower
                .iter()
                .map(|name| name.contains(needle))
                .collect(),
        });
        let mut total = 0usize;
        let mut items = Vec::with_capacity(limit);
        for &pos in source {
            let record = self.get(pos);
            let matches = query.status.is_none_or(|s| record.status == s)
                && biller.is_none_or(|b| record.biller == Some(b))
                && user.is_none_or(|u| record.user == u)
                && search.as_ref().is_none_or(|s| s.matches(record));
            if matches {
                // Past the page we keep going only to count.
                if total as u64 >= offset && items.len() < limit {
                    items.push(record);
                }
                total += 1;
            }
        }
        RtlPage { items, total }
    }
}

/// Which users and which billers match a `search`, worked out once per query.
struct Search {
    user_hit: Vec<bool>,
    biller_hit: Vec<bool>,
}

impl Search {
    fn matches(&self, record: &Rtl) -> bool {
        self.user_hit[record.user as usize]
            || record
                .biller
                .is_some_and(|b| self.biller_hit[usize::from(b)])
    }
}

fn insert_sorted(records: &[Rtl], list: &mut Vec<Pos>, pos: Pos) {
    let record = &records[pos as usize];
    let at = list.partition_point(|&p| records[p as usize].is_before(record));
    list.insert(at, pos);
}

fn remove_sorted(records: &[Rtl], list: &mut Vec<Pos>, pos: Pos) {
    let record = &records[pos as usize];
    let at = list.partition_point(|&p| records[p as usize].is_before(record));
    if list.get(at) == Some(&pos) {
        list.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biller::rtl_seed::seed_rtls;

    const ANCHOR: i64 = 1_775_001_600;

    fn query(page: u64, limit: u64) -> RtlQuery {
        RtlQuery {
            page,
            limit,
            ..Default::default()
        }
    }

    /// The straightforward answer: filter everything, sort, slice.
    fn brute_force(store: &RtlStore, q: &RtlQuery) -> (Vec<u64>, usize) {
        let mut all: Vec<&Rtl> = store
            .records
            .iter()
            .filter(|r| q.status.is_none_or(|s| r.status == s))
            .filter(|r| {
                q.biller_id
                    .as_deref()
                    .is_none_or(|b| r.biller.map(|i| BILLERS[usize::from(i)].id) == Some(b))
            })
            .filter(|r| {
                q.client_user_id
                    .as_deref()
                    .is_none_or(|u| store.user_name(r) == u)
            })
            .filter(|r| {
                q.search.as_deref().is_none_or(|s| {
                    store.user_name(r).to_lowercase().contains(s)
                        || r.biller.is_some_and(|b| {
                            BILLERS[usize::from(b)].name.to_lowercase().contains(s)
                        })
                })
            })
            .collect();
        all.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        let total = all.len();
        let start = ((q.page - 1) * q.limit) as usize;
        let ids = all
            .iter()
            .skip(start)
            .take(q.limit as usize)
            .map(|r| r.id)
            .collect();
        (ids, total)
    }

    fn ids(page: &RtlPage) -> Vec<u64> {
        page.items.iter().map(|r| r.id).collect()
    }

    #[test]
    fn indexed_list_equals_brute_force() {
        let (records, users) = seed_rtls(3, 3000, ANCHOR);
        let mut store = RtlStore::new("c".into(), records, users);
        let user = store.user_name(&store.records[10]).to_string();
        let mut queries = Vec::new();
        for status in [None, Some(RtlStatus::Pending), Some(RtlStatus::Expired)] {
            for biller in [None, Some("test_electric_company"), Some("nope")] {
                for search in [
                    None,
                    Some("user_1"),
                    Some("electric"),
                    Some("é"),
                    Some("zz9"),
                ] {
                    for page in [1, 2, 40] {
                        let mut q = query(page, 20);
                        q.status = status;
                        q.biller_id = biller.map(String::from);
                        q.search = search.map(String::from);
                        queries.push(q);
                    }
                }
            }
        }
        let mut by_user = query(1, 100);
        by_user.client_user_id = Some(user);
        queries.push(by_user);

        // Mutations must keep the indexes right too.
        let pos = store.all[5];
        store.update(pos, |r| {
            r.status = RtlStatus::Cancelled;
            r.biller = Some(1);
        });
        let mut fresh = store.get(store.all[0]).clone();
        fresh.id = 42;
        fresh.created_at = ANCHOR - 1000;
        fresh.user = store.intern_user("New.User_1@example.com");
        store.insert(fresh);
        queries.push(RtlQuery {
            search: Some("new.user".into()),
            ..query(1, 20)
        });

        for q in &queries {
            let page = store.list(q);
            let (expected, total) = brute_force(&store, q);
            assert_eq!(ids(&page), expected, "{q:?}");
            assert_eq!(page.total, total, "{q:?}");
        }
    }
}
