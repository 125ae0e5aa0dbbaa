//! Takes the password out of a database URL. sea-orm records its connect options, URL included,
//! in a trace-level span, and every event inside that span (TLS, pool) prints it; so the URL it
//! is given must hold no password, and the password goes to the driver separately.

/// The URL without its password, and the password (percent-decoded), if there was one: in
/// the user info (`postgres://user:pw@host/db`) or as a `password=` query parameter.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (authority, mut password) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, pw)) => (format!("{user}@{host}"), Some(percent_decode(pw))),
            None => (authority.to_string(), None),
        },
        None => (authority.to_string(), None),
    };
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=') {
            Some(("password", value)) => password = Some(percent_decode(&value.replace('+', " "))),
            _ => kept.push(pair),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (format!("{scheme}://{authority}{path}{query}"), password)
}

/// `%XX` escapes to bytes; anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_lifted_out_and_the_rest_kept() {
        let (url, pw) =
            split_password("postgres://app:s3cret@db.example.org:5432/grid?sslmode=require");
        assert_eq!(
            url,
            "postgres://app@db.example.org:5432/grid?sslmode=require"
        );
        assert_eq!(pw.as_deref(), Some("s3cret"));
    }

    #[test]
    fn an_escaped_password_is_decoded() {
        let (url, pw) = split_password("postgresql://app:p%40ss%3Aw%2Fd@host/db");
        assert_eq!(url, "postgresql://app@host/db");
        assert_eq!(pw.as_deref(), Some("p@ss:w/d"));
    }

    #[test]
    fn a_url_without_a_password_is_unchanged() {
        for url in [
            "postgres://app@host/db",
            "postgres://host/db",
            "sqlite://gridloop.db?mode=rwc",
        ] {
            assert_eq!(split_password(url), (url.to_string(), None));
        }
    }

    #[test]
    fn a_password_query_parameter_is_lifted_out_too() {
        let (url, pw) = split_password("postgres://app@host/db?sslmode=require&password=a%26b+c");
        assert_eq!(url, "postgres://app@host/db?sslmode=require");
        assert_eq!(pw.as_deref(), Some("a&b c"));
    }

    #[test]
    fn an_at_sign_in_the_path_or_query_is_not_userinfo() {
        let url = "postgres://host/db?application_name=a:b@c";
        assert_eq!(split_password(url), (url.to_string(), None));
    }
}
