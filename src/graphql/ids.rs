//! Opaque global ids (`node(id:)`) and pagination cursors.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{ApiError, ApiResult};

/// Largest page a connection returns.
pub const MAX_PAGE: i32 = 100;
/// Page size when `first` is not given.
pub const DEFAULT_PAGE: i32 = 20;

/// `base64url("Type:key")`.
pub fn encode(type_name: &str, key: impl std::fmt::Display) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// Splits a global id into its type name and key.
pub fn decode(id: &ID) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (t, k) = text.split_once(':')?;
    Some((t.to_string(), k.to_string()))
}

/// Decodes a global id of an expected type with a numeric key, or BAD_USER_INPUT naming `field`.
pub fn decode_numeric(id: &ID, type_name: &str, field: &str) -> ApiResult<i64> {
    decode(id)
        .filter(|(t, _)| t == type_name)
        .and_then(|(_, k)| k.parse().ok())
        .ok_or_else(|| ApiError::bad_input(field, format!("not a {type_name} id")))
}

/// A cursor for a numeric position (an id).
pub fn cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{position}"))
}

/// Checks `first`/`after` and returns (limit, position after which to start).
pub fn page(first: Option<i32>, after: Option<&str>) -> ApiResult<(u64, Option<i64>)> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(ApiError::bad_input(
            "first",
            format!("must be between 0 and {MAX_PAGE}"),
        ));
    }
    let after = match after {
        None => None,
        Some(c) => Some(
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("c:").and_then(|n| n.parse().ok()))
                .ok_or_else(|| ApiError::bad_input("after", "not a valid cursor"))?,
        ),
    };
    Ok((first as u64, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_round_trips() {
        let id = encode("User", 42);
        assert_eq!(decode(&id), Some(("User".into(), "42".into())));
        assert_eq!(decode_numeric(&id, "User", "id").unwrap(), 42);
    }

    #[test]
    fn an_id_of_another_type_is_bad_input() {
        let id = encode("Ticket", 42);
        assert!(decode_numeric(&id, "User", "id").is_err());
    }

    #[test]
    fn first_is_capped_at_one_hundred() {
        assert!(page(Some(101), None).is_err());
        assert!(page(Some(-1), None).is_err());
        assert_eq!(page(Some(100), Some(&cursor(7))).unwrap(), (100, Some(7)));
    }

    #[test]
    fn a_garbage_cursor_is_bad_input() {
        assert!(page(None, Some("!!!")).is_err());
    }
}
