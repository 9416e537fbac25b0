//! The one way request URLs are made: a service's base URL plus path
//! segments, each percent-encoded into exactly one segment by
//! `url::Url::path_segments_mut`. An ID such as `a/b`, `?x=1`, `#frag` or
//! `%2e%2e` therefore stays one segment (`a%2Fb`, `%3Fx=1`, `%23frag`,
//! `%252e%252e`) and can never change the path or add a query.

use url::Url;

use crate::error::{AppError, AppResult};

/// The longest ID Linkdesk puts in a path; no documented ID comes close.
const MAX_ID_CHARS: usize = 200;

/// A service's base URL: absolute http(s) with a host, possibly with a path
/// prefix (`http://127.0.0.1:8080/prefix`), never a query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    base: Url,
    /// As configured, without a trailing slash.
    text: String,
}

impl ServiceUrl {
    pub fn parse(url: &str) -> AppResult<Self> {
        let text = url.trim().trim_end_matches('/');
        let base = Url::parse(text)
            .map_err(|e| AppError::invalid(format!("\"{text}\" is not a valid URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(AppError::invalid(format!(
                "\"{text}\" is not an http(s) URL with a host"
            )));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(AppError::invalid(format!(
                "\"{text}\" has a query or fragment; give the service's base URL only"
            )));
        }
        Ok(Self {
            text: text.to_string(),
            base,
        })
    }

    /// The base URL as configured, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL of `segments` below the base (its path prefix kept), each one
    /// percent-encoded into exactly one path segment. Empty, `.` and `..`
    /// segments are refused: the url crate would drop them, changing the path.
    pub fn endpoint(&self, segments: &[&str]) -> AppResult<Url> {
        if let Some(bad) = segments.iter().find(|s| !is_one_segment(s)) {
            return Err(AppError::invalid(format!(
                "\"{bad}\" cannot be a part of a URL path"
            )));
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| AppError::internal(format!("\"{}\" cannot have a path", self.text)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

/// Checks an ID that goes into a URL path (surrounding whitespace dropped).
/// Any character is allowed, since `ServiceUrl::endpoint` encodes it; only an empty ID,
/// `.`, `..` and IDs over 200 characters are refused, before any request.
pub fn path_id<'a>(what: &str, id: &'a str) -> AppResult<&'a str> {
    let id = id.trim();
    if id.is_empty() {
        return Err(AppError::invalid(format!("A {what} is required")));
    }
    if !is_one_segment(id) || id.chars().count() > MAX_ID_CHARS {
        return Err(AppError::invalid(format!("\"{id}\" is not a valid {what}")));
    }
    Ok(id)
}

fn is_one_segment(s: &str) -> bool {
    !matches!(s, "" | "." | "..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn at(base: &str, segments: &[&str]) -> String {
        ServiceUrl::parse(base)
            .unwrap()
            .endpoint(segments)
            .unwrap()
            .to_string()
    }

    #[test]
    fn segments_are_appended_to_the_base_and_its_prefix() {
        assert_eq!(
            at("http://127.0.0.1:8080", &["v1", "customers", "cus_1"]),
            "http://127.0.0.1:8080/v1/customers/cus_1"
        );
        assert_eq!(
            at("http://127.0.0.1:8080/", &["billers"]),
            "http://127.0.0.1:8080/billers"
        );
        assert_eq!(
            at(
                "http://127.0.0.1:8080/prefix/",
                &["link", "request-to-link"]
            ),
            "http://127.0.0.1:8080/prefix/link/request-to-link"
        );
        assert_eq!(
            at("https://api.example.test/a/b", &["v1", "tokens"]),
            "https://api.example.test/a/b/v1/tokens"
        );
    }

    #[test]
    fn an_id_is_always_one_encoded_segment() {
        let base = "http://h/prefix";
        for (id, encoded) in [
            ("a/b", "a%2Fb"),
            ("?x=1", "%3Fx=1"),
            ("#frag", "%23frag"),
            ("%2e%2e", "%252e%252e"),
            ("%2F", "%252F"),
            ("../../billers", "..%2F..%2Fbillers"),
            ("a\\b", "a%5Cb"),
            ("a b", "a%20b"),
            ("...", "..."),
            ("é", "%C3%A9"),
        ] {
            let url = ServiceUrl::parse(base)
                .unwrap()
                .endpoint(&["v1", "customers", id, "accounts"])
                .unwrap();
            assert_eq!(
                url.as_str(),
                format!("http://h/prefix/v1/customers/{encoded}/accounts"),
                "{id}"
            );
            assert_eq!(url.query(), None, "{id}");
            assert_eq!(url.fragment(), None, "{id}");
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 5, "{id}");
        }
    }

    #[test]
    fn dot_and_empty_segments_are_refused() {
        let base = ServiceUrl::parse("http://h").unwrap();
        for bad in ["", ".", ".."] {
            let err = base.endpoint(&["v1", "payouts", bad]).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn ids_are_trimmed_and_dot_segments_refused() {
        assert_eq!(path_id("customer ID", " cus_1 ").unwrap(), "cus_1");
        assert_eq!(path_id("customer ID", "a/b?c#d").unwrap(), "a/b?c#d");
        assert_eq!(path_id("customer ID", "%2e%2e").unwrap(), "%2e%2e");
        for bad in ["", "  ", ".", "..", " .. "] {
            let err = path_id("customer ID", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad:?}");
        }
        assert!(path_id("ID", &"x".repeat(200)).is_ok());
        assert!(path_id("ID", &"x".repeat(201)).is_err());
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            ServiceUrl::parse(" http://h:1/p/ ").unwrap().as_str(),
            "http://h:1/p"
        );
        for bad in [
            "not a url",
            "ftp://h",
            "file:///tmp",
            "http://h/?x=1",
            "http://h/#top",
        ] {
            assert!(ServiceUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
