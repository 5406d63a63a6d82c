//! Login (user/password from config → a random session token in a cookie) and the guard that
//! every state-changing API call passes: read-only mode refuses with 403, a missing login with
//! 401, both with a JSON error.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::http::{header, HeaderMap};
use rand::Rng;

use super::api::ApiError;

/// The session cookie's name.
pub const COOKIE: &str = "rmq_dashboard_session";

/// Credentials, read-only switch and the live sessions.
pub struct Auth {
    login: Option<(String, String)>,
    read_only: bool,
    sessions: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("user", &self.user())
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Guards with `login` (`None`: anyone may change state unless read-only).
    pub fn new(login: Option<(String, String)>, read_only: bool) -> Self {
        Auth {
            login,
            read_only,
            sessions: Mutex::new(HashSet::new()),
        }
    }

    /// Whether a login is configured.
    pub fn login_required(&self) -> bool {
        self.login.is_some()
    }

    /// Whether every state-changing call is refused.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The configured user, when a login is required.
    pub fn user(&self) -> Option<&str> {
        self.login.as_ref().map(|(u, _)| u.as_str())
    }

    /// Checks the credentials; on success returns a new session token.
    pub fn login(&self, user: &str, password: &str) -> Result<String, ApiError> {
        let Some((u, p)) = &self.login else {
            return Err(ApiError::bad_request("no login is configured"));
        };
        if !constant_time_eq(u.as_bytes(), user.as_bytes())
            || !constant_time_eq(p.as_bytes(), password.as_bytes())
        {
            return Err(ApiError::unauthorized("wrong user or password"));
        }
        let token: String = {
            let mut rng = rand::rng();
            (0..32)
                .map(|_| format!("{:02x}", rng.random::<u8>()))
                .collect()
        };
        self.sessions_mut().insert(token.clone());
        Ok(token)
    }

    /// Ends the session of `headers`' cookie, if any.
    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(t) = session_token(headers) {
            self.sessions_mut().remove(&t);
        }
    }

    /// Whether `headers` carry a live session (always true when no login is configured).
    pub fn logged_in(&self, headers: &HeaderMap) -> bool {
        if self.login.is_none() {
            return true;
        }
        session_token(headers).is_some_and(|t| self.sessions_mut().contains(&t))
    }

    /// The guard of state-changing calls.
    pub fn check_write(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.read_only {
            return Err(ApiError::forbidden(
                "the dashboard is in read-only mode: state-changing calls are refused",
            ));
        }
        if !self.logged_in(headers) {
            return Err(ApiError::unauthorized(
                "log in (POST /api/login) before changing state",
            ));
        }
        Ok(())
    }

    fn sessions_mut(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn login_session_and_read_only() {
        let a = Auth::new(Some(("admin".into(), "pw".into())), false);
        assert!(a.check_write(&HeaderMap::new()).is_err());
        assert!(a.login("admin", "nope").is_err());
        let t = a.login("admin", "pw").unwrap();
        let h = with_cookie(&format!("x=1; {COOKIE}={t}"));
        assert!(a.check_write(&h).is_ok());
        a.logout(&h);
        assert!(a.check_write(&h).is_err());
        let ro = Auth::new(None, true);
        assert_eq!(ro.check_write(&HeaderMap::new()).unwrap_err().status, 403);
        assert!(Auth::new(None, false)
            .check_write(&HeaderMap::new())
            .is_ok());
    }
}
