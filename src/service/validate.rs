//! Input checks shared by the use cases; every error names the field at fault.

use super::error::{ServiceError, ServiceResult};

/// Trims and checks a required text: not empty, at most `max` characters, no control characters.
pub fn required_text(field: &str, value: &str, max: usize) -> ServiceResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    optional_text(field, value, max)
}

/// Like `required_text`, but empty is allowed.
pub fn optional_text(field: &str, value: &str, max: usize) -> ServiceResult<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(ServiceError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// Lower-cases and checks an email address.
pub fn email(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim().to_lowercase();
    let valid = value.len() <= 254
        && value.split('@').count() == 2
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(value)
    } else {
        Err(ServiceError::invalid(field, "is not a valid email address"))
    }
}

/// A phone number: digits, spaces, `+`, `-`, parentheses; at most 40 characters.
pub fn phone(field: &str, value: &str) -> ServiceResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 40
        || !value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
    {
        return Err(ServiceError::invalid(field, "is not a valid phone number"));
    }
    Ok(Some(value.to_string()))
}

/// A latitude/longitude pair: finite and within range.
pub fn coordinates(lat: f64, lon: f64) -> ServiceResult<()> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(ServiceError::invalid(
            "lat",
            "must be a number in [-90, 90]",
        ));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(ServiceError::invalid(
            "lon",
            "must be a number in [-180, 180]",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            email("email", " Li.Wei@Example.CN ").unwrap(),
            "li.wei@example.cn"
        );
        assert!(email("email", "no-at-sign").is_err());
        assert!(email("email", "a@b").is_err());
        assert!(email("email", "a b@c.d").is_err());
    }

    #[test]
    fn empty_and_huge_texts_are_rejected_with_the_field_name() {
        let err = required_text("name", "  ", 10).unwrap_err();
        assert!(err.to_string().starts_with("name"));
        assert!(required_text("name", &"x".repeat(11), 10).is_err());
        assert!(required_text("name", "ok\u{0}", 10).is_err());
    }

    #[test]
    fn coordinates_out_of_range_or_nan_are_rejected() {
        assert!(coordinates(91.0, 0.0).is_err());
        assert!(coordinates(0.0, -180.5).is_err());
        assert!(coordinates(f64::NAN, 0.0).is_err());
        assert!(coordinates(31.2, 121.4).is_ok());
    }
}
