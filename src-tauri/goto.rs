//! "Go to ID" beyond the cache: an ID the local cache does not hold is looked
//! up at the service its shape belongs to, as payment dashboards let a person
//! paste any ID. BillerAPI IDs start with `rtl_`; Link Money's customers,
//! transactions and payouts all have UUIDs, so a UUID is asked for as each of
//! them in turn until one is found.

use crate::app::App;
use crate::cache::FoundRecord;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::money::lookups;
use crate::rtls::{self, ReadFrom};

/// What an ID looks like, so it is asked of the right service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdShape {
    /// `rtl_…`: a BillerAPI request to link.
    Rtl,
    /// A UUID: a Link Money customer, transaction or payout.
    LinkMoney,
    /// Neither: a client user ID, a name, a typo.
    Other,
}

pub fn shape(id: &str) -> IdShape {
    let id = id.trim();
    if id.len() > 4 && id.starts_with("rtl_") && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return IdShape::Rtl;
    }
    let groups: Vec<&str> = id.split('-').collect();
    let uuid = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if uuid {
        IdShape::LinkMoney
    } else {
        IdShape::Other
    }
}

/// What the palette shows for what was typed: the cached records whose ID is
/// it or starts with it, and its shape (which service a look-up would ask,
/// or none: then it is offered as a client user ID).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GotoAnswer {
    pub found: Vec<FoundRecord>,
    pub shape: IdShape,
}

pub async fn search(app: &App, query: String) -> AppResult<GotoAnswer> {
    let shape = shape(&query);
    let found = rtls::find_by_id(app, query).await?;
    Ok(GotoAnswer { found, shape })
}

/// Finds `id` at the service (the cache answers only when the service cannot
/// be asked, as in every lookup). A miss is `not_found`, naming what was asked.
pub async fn locate(app: &App, id: String) -> AppResult<FoundRecord> {
    let id = id.trim().to_string();
    let found = |kind: &str, label: String| FoundRecord {
        kind: kind.into(),
        id: id.clone(),
        label,
    };
    match shape(&id) {
        IdShape::Rtl => {
            let res = rtls::get(app, id.clone(), ReadFrom::Service).await?;
            let rtl = &res.data.rtl;
            Ok(found(
                "rtl",
                format!("{} · {}", rtl.client_user_id, rtl.status.as_str()),
            ))
        }
        IdShape::LinkMoney => {
            match lookups::transaction(app, id.clone(), ReadFrom::Service).await {
                Ok(_) => return Ok(found("transaction", "Link Money transaction".into())),
                Err(e) if e.code != ErrorCode::NotFound => return Err(e),
                Err(_) => {}
            }
            match lookups::payout(app, id.clone(), ReadFrom::Service).await {
                Ok(_) => return Ok(found("payout", "Link Money payout".into())),
                Err(e) if e.code != ErrorCode::NotFound => return Err(e),
                Err(_) => {}
            }
            match lookups::customer(app, id.clone(), ReadFrom::Service).await {
                Ok(res) => Ok(found("customer", res.data.name)),
                Err(e) if e.code != ErrorCode::NotFound => Err(e),
                Err(_) => Err(AppError::new(
                    ErrorCode::NotFound,
                    format!("Link Money has no transaction, payout or customer with the ID {id}"),
                )),
            }
        }
        IdShape::Other => Err(AppError::invalid(format!(
            "“{id}” is neither an RTL ID (rtl_…) nor a Link Money ID (a UUID)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_told_apart_by_their_shape() {
        assert_eq!(shape("rtl_0000000001ab"), IdShape::Rtl);
        assert_eq!(shape(" rtl_abc "), IdShape::Rtl);
        assert_eq!(
            shape("97a4fcdf-9a08-4a59-a0c0-69bfd7e1d59d"),
            IdShape::LinkMoney
        );
        assert_eq!(shape("97a4fcdf-9a08-4a59-a0c0-69bfd7e1d59"), IdShape::Other);
        assert_eq!(shape("user_1234"), IdShape::Other);
        assert_eq!(shape("rtl_"), IdShape::Other);
        assert_eq!(shape("rtl_a b"), IdShape::Other);
    }
}
