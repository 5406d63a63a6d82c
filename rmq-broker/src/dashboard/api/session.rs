//! `/api/session`, `/api/login`, `/api/logout`.

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, Shared};
use crate::dashboard::auth::COOKIE;

/// `GET /api/session`: the guard's settings and whether this browser is logged in.
pub async fn get(state: Shared, headers: HeaderMap) -> ApiResult<Value> {
    let a = &state.auth;
    Ok(Json(json!({
        "loginRequired": a.login_required(),
        "readOnly": a.read_only(),
        "loggedIn": a.login_required() && a.logged_in(&headers),
        "user": a.user(),
    })))
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/login` `{username, password}`: sets the session cookie.
pub async fn login(state: Shared, Json(form): Json<Login>) -> Result<Response, ApiError> {
    let token = state.auth.login(&form.username, &form.password)?;
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"loggedIn": true, "user": form.username})),
    )
        .into_response())
}

/// `POST /api/logout`.
pub async fn logout(state: Shared, headers: HeaderMap) -> Response {
    state.auth.logout(&headers);
    let cookie = format!("{COOKIE}=; Path=/; Max-Age=0");
    (
        [(header::SET_COOKIE, cookie)],
        Json(json!({"loggedIn": false})),
    )
        .into_response()
}
