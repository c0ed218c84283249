//! Static assets (CSS, JS, vendored libraries) embedded in the binary, served with their
//! content type and a long cache lifetime (names are stable per build; the UI appends the
//! build version as a query string).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
#[exclude = "*/README.md"]
#[exclude = "*/LICENSE*"]
struct Assets;

/// `GET /assets/{*path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_string()),
                (header::CACHE_CONTROL, "public, max-age=86400".to_string()),
            ],
            file.data,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
