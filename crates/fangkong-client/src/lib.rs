//! A typed client of the Fangkong API over HTTP.
//!
//! Used by the integration tests (so tests read like use cases), by federation between
//! instances and by remote CLI commands. It speaks only the wire types of
//! `fangkong-api-types`; refused requests come back as `ClientError::Api` with the problem
//! details the server sent.

use fangkong_api_types::{
    DuplicateCandidate, Facility, ImportSummary, Jurisdiction, JurisdictionDetail, MergeRequest,
    Page, Person, PersonCreate, PersonEvent, PersonUpdate, Problem,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status and (usually) problem details.
    #[error("{status}: {}", problem.as_ref().map_or("no problem details", |p| p.detail.as_str()))]
    Api {
        status: StatusCode,
        problem: Option<Problem>,
    },
    /// The request did not complete or the answer was not the expected JSON.
    #[error("transport")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status(),
        }
    }

    /// The problem details of an API error.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ClientError::Api { problem, .. } => problem.as_ref(),
            ClientError::Transport(_) => None,
        }
    }
}

/// Result of a client call.
pub type Result<T> = std::result::Result<T, ClientError>;

/// A client bound to one server and one bearer token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// Search parameters of `GET /api/v1/persons`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PersonSearch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

impl Client {
    /// A client of the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, token: Option<&str>) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
            token: token.map(str::to_string),
        }
    }

    /// The same server with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            token: token.map(str::to_string),
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn answer<T: DeserializeOwned>(response: reqwest::Response) -> Result<(StatusCode, T)> {
        let status = response.status();
        if status.is_success() {
            return Ok((status, response.json().await?));
        }
        let bytes = response.bytes().await?;
        Err(ClientError::Api {
            status,
            problem: serde_json::from_slice(&bytes).ok(),
        })
    }

    /// Any GET, answered as raw status and JSON (for tests of arbitrary routes).
    ///
    /// # Errors
    /// Transport failure only; error statuses are returned.
    pub async fn get_json(&self, path: &str) -> Result<(StatusCode, serde_json::Value)> {
        let response = self.request(Method::GET, path).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Any request with a JSON body, answered as raw status and JSON.
    ///
    /// # Errors
    /// Transport failure only.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, serde_json::Value)> {
        let response = self.request(method, path).json(body).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Any POST of raw bytes (a file, a FHIR Bundle), answered as raw status and JSON.
    ///
    /// # Errors
    /// Transport failure only; error statuses are returned.
    pub async fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, serde_json::Value)> {
        let response = self
            .request(Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Any GET answered as raw status and bytes (a download).
    ///
    /// # Errors
    /// Transport failure only; error statuses are returned.
    pub async fn get_bytes(&self, path: &str) -> Result<(StatusCode, Vec<u8>)> {
        let response = self.request(Method::GET, path).send().await?;
        let status = response.status();
        Ok((status, response.bytes().await?.to_vec()))
    }

    /// `POST /api/v1/immunization/vaccinations:import`: a vaccination list, all rows or none.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_vaccinations(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/immunization/vaccinations:import", file_name, bytes)
            .await
    }

    /// `GET /api/v1/immunization/coverage?within=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn immunization_coverage(
        &self,
        within: &str,
    ) -> Result<fangkong_api_types::CoverageReport> {
        let r = self
            .request(
                Method::GET,
                &format!("/api/v1/immunization/coverage?within={within}"),
            )
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/immunization/outreach` with its query (`group=…&within=…&kind=…`).
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn outreach(&self, query: &str) -> Result<fangkong_api_types::OutreachList> {
        let r = self
            .request(
                Method::GET,
                &format!("/api/v1/immunization/outreach?{query}"),
            )
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/persons`: 201 for a new person, 200 for an already registered document.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn create_person(&self, body: &PersonCreate) -> Result<(StatusCode, Person)> {
        let r = self
            .request(Method::POST, "/api/v1/persons")
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `POST /api/v1/inbound/policies`: 201 for a new version, 200 for one already loaded
    /// with the same text.
    ///
    /// # Errors
    /// `Api` with the problem details (422 lists the file's problems).
    pub async fn load_policy(
        &self,
        file_name: &str,
        text: &str,
    ) -> Result<(StatusCode, fangkong_api_types::PolicyVersion)> {
        let r = self
            .request(Method::POST, "/api/v1/inbound/policies")
            .query(&[("file_name", file_name)])
            .header("content-type", "application/toml")
            .body(text.to_string())
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `GET /api/v1/inbound/policies`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn policies(&self) -> Result<Vec<fangkong_api_types::PolicyVersion>> {
        let r = self
            .request(Method::GET, "/api/v1/inbound/policies")
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/inbound/classify`.
    ///
    /// # Errors
    /// `Api` (422 for an unknown value or a day without a policy in force).
    pub async fn classify(
        &self,
        body: &fangkong_api_types::ClassifyRequest,
    ) -> Result<fangkong_api_types::Classification> {
        let r = self
            .request(Method::POST, "/api/v1/inbound/classify")
            .json(body)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/persons/{id}`.
    ///
    /// # Errors
    /// `Api` (404 outside the caller's jurisdiction).
    pub async fn person(&self, id: i64) -> Result<Person> {
        let r = self
            .request(Method::GET, &format!("/api/v1/persons/{id}"))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/persons`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn search_persons(&self, query: &PersonSearch) -> Result<Vec<Person>> {
        let r = self
            .request(Method::GET, "/api/v1/persons")
            .query(query)
            .send()
            .await?;
        Ok(Self::answer::<Page<Person>>(r).await?.1.items)
    }

    /// `PATCH /api/v1/persons/{id}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn update_person(&self, id: i64, body: &PersonUpdate) -> Result<Person> {
        let r = self
            .request(Method::PATCH, &format!("/api/v1/persons/{id}"))
            .json(body)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/persons/{id}/history`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn person_history(&self, id: i64) -> Result<Vec<PersonEvent>> {
        let r = self
            .request(Method::GET, &format!("/api/v1/persons/{id}/history"))
            .send()
            .await?;
        Ok(Self::answer::<Page<PersonEvent>>(r).await?.1.items)
    }

    /// `GET /api/v1/persons/duplicates`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn duplicates(&self) -> Result<Vec<DuplicateCandidate>> {
        let r = self
            .request(Method::GET, "/api/v1/persons/duplicates")
            .send()
            .await?;
        Ok(Self::answer::<Page<DuplicateCandidate>>(r).await?.1.items)
    }

    /// `POST /api/v1/persons/{keep}/merge`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn merge_persons(&self, keep: i64, duplicate: i64) -> Result<Person> {
        let r = self
            .request(Method::POST, &format!("/api/v1/persons/{keep}/merge"))
            .json(&MergeRequest {
                duplicate_id: duplicate,
            })
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/persons:import`.
    ///
    /// # Errors
    /// `Api` (422 with every bad row).
    pub async fn import_persons(&self, file_name: &str, bytes: Vec<u8>) -> Result<ImportSummary> {
        self.import("/api/v1/persons:import", file_name, bytes)
            .await
    }

    /// `POST /api/v1/jurisdictions:import`.
    ///
    /// # Errors
    /// `Api` (422 with every bad row).
    pub async fn import_jurisdictions(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/jurisdictions:import", file_name, bytes)
            .await
    }

    /// `POST /api/v1/inbound/risk-areas:import`: a risk-area list, all rows or none.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_risk_areas(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/inbound/risk-areas:import", file_name, bytes)
            .await
    }

    /// `POST /api/v1/inbound/travel:import`: a traveller list, all rows or none, each
    /// arrival classified and assigned its measure.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_travel(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<fangkong_api_types::TravelImport> {
        self.import("/api/v1/inbound/travel:import", file_name, bytes)
            .await
    }

    /// `GET /api/v1/inbound/measures/{id}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn measure(&self, id: i64) -> Result<fangkong_api_types::Measure> {
        let r = self
            .request(Method::GET, &format!("/api/v1/inbound/measures/{id}"))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/inbound/measures?open=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn measures(&self, open: bool) -> Result<Vec<fangkong_api_types::Measure>> {
        let r = self
            .request(Method::GET, "/api/v1/inbound/measures")
            .query(&[("open", open)])
            .send()
            .await?;
        let page: fangkong_api_types::Page<fangkong_api_types::Measure> = Self::answer(r).await?.1;
        Ok(page.items)
    }

    async fn import<T: DeserializeOwned>(
        &self,
        path: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<T> {
        let r = self
            .request(Method::POST, path)
            .query(&[("file_name", file_name)])
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/jurisdictions?level=&parent=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn jurisdictions(
        &self,
        level: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Vec<Jurisdiction>> {
        let mut q = Vec::new();
        if let Some(l) = level {
            q.push(("level", l));
        }
        if let Some(p) = parent {
            q.push(("parent", p));
        }
        let r = self
            .request(Method::GET, "/api/v1/jurisdictions")
            .query(&q)
            .send()
            .await?;
        Ok(Self::answer::<Page<Jurisdiction>>(r).await?.1.items)
    }

    /// `GET /api/v1/jurisdictions/{code}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn jurisdiction(&self, code: &str) -> Result<JurisdictionDetail> {
        let r = self
            .request(Method::GET, &format!("/api/v1/jurisdictions/{code}"))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/facilities?kind=&within=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn facilities(
        &self,
        kind: Option<&str>,
        within: Option<&str>,
    ) -> Result<Vec<Facility>> {
        let mut q = Vec::new();
        if let Some(k) = kind {
            q.push(("kind", k));
        }
        if let Some(w) = within {
            q.push(("within", w));
        }
        let r = self
            .request(Method::GET, "/api/v1/facilities")
            .query(&q)
            .send()
            .await?;
        Ok(Self::answer::<Page<Facility>>(r).await?.1.items)
    }
    // -----------------------------------------------------------------------------------------
    // Cold chain: `/api/v1/coldchain`.
    // -----------------------------------------------------------------------------------------

    /// `POST /api/v1/coldchain/batches`: 201 for a new batch, 200 for one already stored
    /// with the same values.
    ///
    /// # Errors
    /// `Api` (422 naming each bad field, 409 for a code stored with other values).
    pub async fn create_coldchain_batch(
        &self,
        body: &fangkong_api_types::ColdchainBatchCreate,
    ) -> Result<(StatusCode, fangkong_api_types::ColdchainBatch)> {
        let r = self
            .request(Method::POST, "/api/v1/coldchain/batches")
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `GET /api/v1/coldchain/batches?status=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn coldchain_batches(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<fangkong_api_types::ColdchainBatch>> {
        let mut r = self.request(Method::GET, "/api/v1/coldchain/batches");
        if let Some(s) = status {
            r = r.query(&[("status", s)]);
        }
        let page: Page<fangkong_api_types::ColdchainBatch> = Self::answer(r.send().await?).await?.1;
        Ok(page.items)
    }

    /// `GET /api/v1/coldchain/batches/{code}`.
    ///
    /// # Errors
    /// `Api` (404 for an unknown batch or one outside the caller's jurisdiction).
    pub async fn coldchain_batch(&self, code: &str) -> Result<fangkong_api_types::ColdchainBatch> {
        let r = self
            .request(Method::GET, &format!("/api/v1/coldchain/batches/{code}"))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/coldchain/batches/{code}/results`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn record_coldchain_result(
        &self,
        code: &str,
        body: &fangkong_api_types::ColdchainResultCreate,
    ) -> Result<(StatusCode, fangkong_api_types::ColdchainRecorded)> {
        let r = self
            .request(
                Method::POST,
                &format!("/api/v1/coldchain/batches/{code}/results"),
            )
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `POST /api/v1/coldchain/batches/{code}/distributions`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn record_coldchain_distribution(
        &self,
        code: &str,
        body: &fangkong_api_types::ColdchainDistributionCreate,
    ) -> Result<(StatusCode, fangkong_api_types::ColdchainRecorded)> {
        let r = self
            .request(
                Method::POST,
                &format!("/api/v1/coldchain/batches/{code}/distributions"),
            )
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `POST /api/v1/coldchain/batches/{code}/workers`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn record_coldchain_worker(
        &self,
        code: &str,
        body: &fangkong_api_types::ColdchainWorkerCreate,
    ) -> Result<(StatusCode, fangkong_api_types::ColdchainRecorded)> {
        let r = self
            .request(
                Method::POST,
                &format!("/api/v1/coldchain/batches/{code}/workers"),
            )
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `GET /api/v1/coldchain/batches/{code}/trace`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn coldchain_trace(&self, code: &str) -> Result<fangkong_api_types::ColdchainTrace> {
        let r = self
            .request(
                Method::GET,
                &format!("/api/v1/coldchain/batches/{code}/trace"),
            )
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/coldchain/batches:import`: a batch list, all rows or none.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_coldchain_batches(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/coldchain/batches:import", file_name, bytes)
            .await
    }

    /// `GET /api/v1/coldchain/tasks?status=&community=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn coldchain_tasks(
        &self,
        status: Option<&str>,
        community: Option<&str>,
    ) -> Result<Vec<fangkong_api_types::ColdchainTask>> {
        let mut q = Vec::new();
        if let Some(s) = status {
            q.push(("status", s));
        }
        if let Some(c) = community {
            q.push(("community", c));
        }
        let r = self
            .request(Method::GET, "/api/v1/coldchain/tasks")
            .query(&q)
            .send()
            .await?;
        let page: Page<fangkong_api_types::ColdchainTask> = Self::answer(r).await?.1;
        Ok(page.items)
    }

    /// `POST /api/v1/coldchain/tasks/{id}/close`.
    ///
    /// # Errors
    /// `Api` (404 outside the caller's jurisdiction, 409 when already done).
    pub async fn close_coldchain_task(
        &self,
        id: i64,
        note: &str,
    ) -> Result<fangkong_api_types::ColdchainTask> {
        let r = self
            .request(Method::POST, &format!("/api/v1/coldchain/tasks/{id}/close"))
            .json(&fangkong_api_types::ColdchainTaskClose {
                note: note.to_string(),
            })
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    // -----------------------------------------------------------------------------------
    // Fever-clinic visits (the fourth pocket): `/api/v1/fever/...`.
    // -----------------------------------------------------------------------------------

    /// `POST /api/v1/fever/visits`: 201 for a new visit, 200 for one already recorded (same
    /// clinic, person and time).
    ///
    /// # Errors
    /// `Api` (422 naming every bad field).
    pub async fn record_fever_visit(
        &self,
        body: &fangkong_api_types::FeverVisitCreate,
    ) -> Result<(StatusCode, fangkong_api_types::FeverVisit)> {
        let r = self
            .request(Method::POST, "/api/v1/fever/visits")
            .json(body)
            .send()
            .await?;
        Self::answer(r).await
    }

    /// `GET /api/v1/fever/visits?clinic_id=&county=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn fever_visits(
        &self,
        clinic_id: Option<i64>,
        county: Option<&str>,
    ) -> Result<Vec<fangkong_api_types::FeverVisit>> {
        let r = self
            .request(Method::GET, "/api/v1/fever/visits")
            .query(&fever_filter(clinic_id, county))
            .send()
            .await?;
        Ok(Self::answer::<Page<fangkong_api_types::FeverVisit>>(r)
            .await?
            .1
            .items)
    }

    /// `GET /api/v1/fever/visits/{id}`.
    ///
    /// # Errors
    /// `Api` (404 outside the jurisdiction).
    pub async fn fever_visit(&self, id: i64) -> Result<fangkong_api_types::FeverVisit> {
        let r = self
            .request(Method::GET, &format!("/api/v1/fever/visits/{id}"))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/fever/visits/{id}/result`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn record_fever_result(
        &self,
        id: i64,
        body: &fangkong_api_types::FeverResultCreate,
    ) -> Result<fangkong_api_types::FeverVisit> {
        let r = self
            .request(Method::POST, &format!("/api/v1/fever/visits/{id}/result"))
            .json(body)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/fever/visits/{id}/disposition`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn record_fever_disposition(
        &self,
        id: i64,
        body: &fangkong_api_types::FeverDispositionCreate,
    ) -> Result<fangkong_api_types::FeverVisit> {
        let r = self
            .request(
                Method::POST,
                &format!("/api/v1/fever/visits/{id}/disposition"),
            )
            .json(body)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/fever/open-loops?clinic_id=&county=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn fever_open_loops(
        &self,
        clinic_id: Option<i64>,
        county: Option<&str>,
    ) -> Result<fangkong_api_types::FeverOpenLoops> {
        let r = self
            .request(Method::GET, "/api/v1/fever/open-loops")
            .query(&fever_filter(clinic_id, county))
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `POST /api/v1/fever/visits:import`: a visit list, all rows or none.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_fever_visits(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/fever/visits:import", file_name, bytes)
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(b);
        }
        Ok(Self::answer(r.send().await?).await?.1)
    }

    /// `GET /api/v1/isolation/sites`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn isolation_sites(&self) -> Result<Vec<fangkong_api_types::IsolationSite>> {
        self.call(Method::GET, "/api/v1/isolation/sites", None::<&()>)
            .await
    }

    /// `POST /api/v1/isolation/sites`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn create_site(
        &self,
        body: &fangkong_api_types::SiteCreate,
    ) -> Result<fangkong_api_types::IsolationSite> {
        self.call(Method::POST, "/api/v1/isolation/sites", Some(body))
            .await
    }

    /// `POST /api/v1/isolation/stays/{id}/health-checks`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn stay_health_check(
        &self,
        id: i64,
        body: &fangkong_api_types::StayHealthCheck,
    ) -> Result<fangkong_api_types::IsolationStayDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/stays/{id}/health-checks"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/isolation/sites/{id}`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn isolation_site(&self, id: i64) -> Result<fangkong_api_types::IsolationSiteDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/isolation/sites/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/isolation/sites/{id}/turnaround`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_turnaround(
        &self,
        id: i64,
        body: &fangkong_api_types::TurnaroundBody,
    ) -> Result<fangkong_api_types::IsolationSite> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/sites/{id}/turnaround"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/isolation/rooms/{id}/service`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn room_service(
        &self,
        id: i64,
        body: &fangkong_api_types::ReasonBody,
    ) -> Result<fangkong_api_types::IsolationRoom> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/rooms/{id}/service"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/isolation/queue`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn placement_queue(&self) -> Result<Vec<fangkong_api_types::PlacementQueueEntry>> {
        self.call(Method::GET, "/api/v1/isolation/queue", None::<&()>)
            .await
    }

    /// `POST /api/v1/isolation/placements:propose`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn propose_placement(
        &self,
        body: &fangkong_api_types::PlacementProposalRequest,
    ) -> Result<fangkong_api_types::PlacementProposal> {
        self.call(
            Method::POST,
            "/api/v1/isolation/placements:propose",
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/isolation/placements`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn place(
        &self,
        body: &fangkong_api_types::PlacementCommitRequest,
    ) -> Result<Vec<fangkong_api_types::IsolationStay>> {
        self.call(Method::POST, "/api/v1/isolation/placements", Some(body))
            .await
    }

    /// `GET /api/v1/isolation/stays/{id}`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn stay(&self, id: i64) -> Result<fangkong_api_types::IsolationStayDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/isolation/stays/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/isolation/stays/{id}/check-in`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn check_in(&self, id: i64) -> Result<fangkong_api_types::IsolationStayDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/stays/{id}/check-in"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/isolation/stays/{id}/release`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn release_stay(&self, id: i64) -> Result<fangkong_api_types::IsolationStayDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/stays/{id}/release"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/isolation/stays/{id}/cancel`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn cancel_stay(
        &self,
        id: i64,
        body: &fangkong_api_types::ReasonBody,
    ) -> Result<fangkong_api_types::IsolationStay> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/stays/{id}/cancel"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/isolation/stays/{id}/transfer`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn transfer_stay(
        &self,
        id: i64,
        body: &fangkong_api_types::StayTransfer,
    ) -> Result<fangkong_api_types::StayTransferResult> {
        self.call(
            Method::POST,
            &format!("/api/v1/isolation/stays/{id}/transfer"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/isolation/forecast`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn isolation_forecast(&self) -> Result<fangkong_api_types::CapacityForecast> {
        self.call(Method::GET, "/api/v1/isolation/forecast", None::<&()>)
            .await
    }

    /// `POST /api/v1/forecasts/scenario`: runs and stores a scenario forecast.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn run_scenario_forecast(
        &self,
        request: &fangkong_api_types::ScenarioForecastRequest,
    ) -> Result<fangkong_api_types::ScenarioForecast> {
        self.call(Method::POST, "/api/v1/forecasts/scenario", Some(request))
            .await
    }

    /// `GET /api/v1/forecasts/scenario`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn scenario_forecasts(
        &self,
    ) -> Result<Vec<fangkong_api_types::ScenarioForecastSummary>> {
        self.call(Method::GET, "/api/v1/forecasts/scenario", None::<&()>)
            .await
    }

    /// `GET /api/v1/treatment/hospitals`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn hospitals(&self) -> Result<Vec<fangkong_api_types::Hospital>> {
        self.call(Method::GET, "/api/v1/treatment/hospitals", None::<&()>)
            .await
    }

    /// `POST /api/v1/treatment/admissions`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn admit(
        &self,
        body: &fangkong_api_types::AdmissionCreate,
    ) -> Result<fangkong_api_types::Admission> {
        self.call(Method::POST, "/api/v1/treatment/admissions", Some(body))
            .await
    }

    /// `GET /api/v1/treatment/admissions/{id}`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn admission(&self, id: i64) -> Result<fangkong_api_types::AdmissionDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/treatment/admissions/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/treatment/admissions/{id}/transfer`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn transfer_admission(
        &self,
        id: i64,
        body: &fangkong_api_types::AdmissionTransfer,
    ) -> Result<fangkong_api_types::Admission> {
        self.call(
            Method::POST,
            &format!("/api/v1/treatment/admissions/{id}/transfer"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/treatment/admissions/{id}/discharge`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn discharge(
        &self,
        id: i64,
        body: &fangkong_api_types::AdmissionDischarge,
    ) -> Result<fangkong_api_types::Admission> {
        self.call(
            Method::POST,
            &format!("/api/v1/treatment/admissions/{id}/discharge"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/treatment/admissions/{id}/severity`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_severity(
        &self,
        id: i64,
        body: &fangkong_api_types::SeverityBody,
    ) -> Result<fangkong_api_types::Admission> {
        self.call(
            Method::POST,
            &format!("/api/v1/treatment/admissions/{id}/severity"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/treatment/teams`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn teams(&self) -> Result<Vec<fangkong_api_types::Team>> {
        self.call(Method::GET, "/api/v1/treatment/teams", None::<&()>)
            .await
    }

    /// `POST /api/v1/treatment/teams`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn create_team(
        &self,
        body: &fangkong_api_types::TeamCreate,
    ) -> Result<fangkong_api_types::Team> {
        self.call(Method::POST, "/api/v1/treatment/teams", Some(body))
            .await
    }

    /// `POST /api/v1/treatment/teams/{id}/deployments`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn deploy_team(
        &self,
        id: i64,
        body: &fangkong_api_types::DeploymentCreate,
    ) -> Result<fangkong_api_types::Team> {
        self.call(
            Method::POST,
            &format!("/api/v1/treatment/teams/{id}/deployments"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/treatment/forecast`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn treatment_forecast(&self) -> Result<Vec<fangkong_api_types::CapacityForecast>> {
        self.call(Method::GET, "/api/v1/treatment/forecast", None::<&()>)
            .await
    }

    /// `GET /api/v1/isolation/stays?site=&open=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn stays(
        &self,
        site: Option<i64>,
        open: bool,
    ) -> Result<Page<fangkong_api_types::IsolationStay>> {
        let site = site.map(|s| format!("&site={s}")).unwrap_or_default();
        self.call(
            Method::GET,
            &format!("/api/v1/isolation/stays?open={open}{site}"),
            None::<&()>,
        )
        .await
    }

    /// `GET /api/v1/treatment/admissions?hospital=&open=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn admissions(
        &self,
        hospital: Option<i64>,
        open: bool,
    ) -> Result<Page<fangkong_api_types::Admission>> {
        let hospital = hospital
            .map(|h| format!("&hospital={h}"))
            .unwrap_or_default();
        self.call(
            Method::GET,
            &format!("/api/v1/treatment/admissions?open={open}{hospital}"),
            None::<&()>,
        )
        .await
    }

    /// `GET /api/v1/treatment/deployments?from=&to=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn deployments(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<fangkong_api_types::TeamDeployment>> {
        self.call(
            Method::GET,
            &format!("/api/v1/treatment/deployments?from={from}&to={to}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/tracing/cases`: register a case.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn register_case(
        &self,
        body: &fangkong_api_types::CaseCreate,
    ) -> Result<fangkong_api_types::TraceCase> {
        self.call(Method::POST, "/api/v1/tracing/cases", Some(body))
            .await
    }

    /// `GET /api/v1/tracing/cases/{id}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn case_detail(&self, id: i64) -> Result<fangkong_api_types::CaseDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/tracing/cases/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `PATCH /api/v1/tracing/cases/{id}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn update_case(
        &self,
        id: i64,
        body: &fangkong_api_types::CaseUpdate,
    ) -> Result<fangkong_api_types::TraceCase> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/tracing/cases/{id}"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/tracing/cases/{id}/itinerary`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn add_itinerary(
        &self,
        id: i64,
        body: &fangkong_api_types::ItineraryCreate,
    ) -> Result<Vec<fangkong_api_types::ItineraryEntry>> {
        self.call(
            Method::POST,
            &format!("/api/v1/tracing/cases/{id}/itinerary"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/tracing/cases/{id}/{action}` without a body (`itinerary:complete`,
    /// `contacts:complete`, `itinerary:from-checkins`).
    ///
    /// # Errors
    /// `Api`.
    pub async fn case_action<T: DeserializeOwned>(&self, id: i64, action: &str) -> Result<T> {
        self.call(
            Method::POST,
            &format!("/api/v1/tracing/cases/{id}/{action}"),
            None::<&()>,
        )
        .await
    }

    /// `GET /api/v1/tracing/cases/{id}/exposures?margin_minutes=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn exposures(
        &self,
        id: i64,
        margin_minutes: i64,
    ) -> Result<Vec<fangkong_api_types::ExposureCandidate>> {
        self.call(
            Method::GET,
            &format!("/api/v1/tracing/cases/{id}/exposures?margin_minutes={margin_minutes}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/tracing/cases/{id}/contacts` (confirm) or `contacts:dismiss`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn decide_contact(
        &self,
        id: i64,
        confirm: bool,
        body: &fangkong_api_types::ContactDecision,
    ) -> Result<fangkong_api_types::TraceContact> {
        let action = if confirm {
            "contacts"
        } else {
            "contacts:dismiss"
        };
        self.call(
            Method::POST,
            &format!("/api/v1/tracing/cases/{id}/{action}"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/tracing/links`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn link_cases(
        &self,
        body: &fangkong_api_types::LinkCreate,
    ) -> Result<fangkong_api_types::TransmissionLink> {
        self.call(Method::POST, "/api/v1/tracing/links", Some(body))
            .await
    }

    /// `GET /api/v1/tracing/chains`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn chains(&self) -> Result<fangkong_api_types::Chains> {
        self.call(Method::GET, "/api/v1/tracing/chains", None::<&()>)
            .await
    }

    /// `GET /api/v1/tracing/chains:export?format=` as text.
    ///
    /// # Errors
    /// `Api`.
    pub async fn export_chains(&self, format: &str) -> Result<(String, String)> {
        let r = self
            .request(Method::GET, "/api/v1/tracing/chains:export")
            .query(&[("format", format)])
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(ClientError::Api {
                status: r.status(),
                problem: r.json().await.ok(),
            });
        }
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok((content_type, r.text().await?))
    }

    /// `GET /api/v1/tracing/timeliness?days=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn tracing_timeliness(
        &self,
        days: i64,
    ) -> Result<Vec<fangkong_api_types::TracingTimeliness>> {
        self.call(
            Method::GET,
            &format!("/api/v1/tracing/timeliness?days={days}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/tracing/checkins:import`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn import_checkins(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<fangkong_api_types::CheckinImportReport> {
        self.import("/api/v1/tracing/checkins:import", file_name, bytes)
            .await
    }

    /// `POST /api/v1/tracing/venues:import`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn import_venues(&self, file_name: &str, bytes: Vec<u8>) -> Result<ImportSummary> {
        self.import("/api/v1/tracing/venues:import", file_name, bytes)
            .await
    }

    // ---- Sentinels ---------------------------------------------------------------------

    /// `GET /api/v1/sentinels/types`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinel_types(&self) -> Result<Vec<fangkong_api_types::SentinelTypeInfo>> {
        self.call(Method::GET, "/api/v1/sentinels/types", None::<&()>)
            .await
    }

    /// `PUT /api/v1/sentinels/types/{sentinel_type}`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_sentinel_deadline(&self, sentinel_type: &str, minutes: i64) -> Result<()> {
        let r = self
            .request(
                Method::PUT,
                &format!("/api/v1/sentinels/types/{sentinel_type}"),
            )
            .json(&fangkong_api_types::SentinelDeadlineUpdate {
                deadline_minutes: minutes,
            })
            .send()
            .await?;
        let status = r.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = r.bytes().await?;
        Err(ClientError::Api {
            status,
            problem: serde_json::from_slice(&bytes).ok(),
        })
    }

    /// `GET /api/v1/sentinels?within=&sentinel_type=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinels(
        &self,
        within: Option<&str>,
    ) -> Result<fangkong_api_types::SentinelList> {
        let path = match within {
            Some(w) => format!("/api/v1/sentinels?within={w}"),
            None => "/api/v1/sentinels".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `GET /api/v1/sentinels/missing`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn missing_sentinel_reports(&self) -> Result<fangkong_api_types::SentinelList> {
        self.call(Method::GET, "/api/v1/sentinels/missing", None::<&()>)
            .await
    }

    /// `GET /api/v1/sentinels/{id}/reports?days=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinel_reports(
        &self,
        id: i64,
        days: i64,
    ) -> Result<Vec<fangkong_api_types::SentinelReport>> {
        self.call(
            Method::GET,
            &format!("/api/v1/sentinels/{id}/reports?days={days}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/sentinels/reports:batch`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn submit_sentinel_reports(
        &self,
        reports: &[fangkong_api_types::SentinelReportRow],
    ) -> Result<ImportSummary> {
        self.call(
            Method::POST,
            "/api/v1/sentinels/reports:batch",
            Some(&fangkong_api_types::SentinelReportsBatch {
                reports: reports.to_vec(),
            }),
        )
        .await
    }

    /// `POST /api/v1/sentinels/reports:import`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn import_sentinel_reports(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ImportSummary> {
        self.import("/api/v1/sentinels/reports:import", file_name, bytes)
            .await
    }

    /// `POST /api/v1/sentinels/alerts:run`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn run_aberration(
        &self,
        day: Option<&str>,
    ) -> Result<fangkong_api_types::AberrationRun> {
        self.call(
            Method::POST,
            "/api/v1/sentinels/alerts:run",
            Some(&fangkong_api_types::AberrationRunRequest {
                day: day.map(str::to_string),
            }),
        )
        .await
    }

    /// `GET /api/v1/sentinels/alerts` with a query string (`status=new&subscribed=true`).
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinel_alerts(
        &self,
        query: &str,
    ) -> Result<fangkong_api_types::SentinelAlertList> {
        let path = if query.is_empty() {
            "/api/v1/sentinels/alerts".to_string()
        } else {
            format!("/api/v1/sentinels/alerts?{query}")
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `GET /api/v1/sentinels/alerts/{id}`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinel_alert(&self, id: i64) -> Result<fangkong_api_types::SentinelAlertDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/sentinels/alerts/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/sentinels/alerts/{id}/status`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_alert_status(
        &self,
        id: i64,
        status: &str,
        note: Option<&str>,
    ) -> Result<fangkong_api_types::SentinelAlertDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/sentinels/alerts/{id}/status"),
            Some(&fangkong_api_types::AlertStatusChange {
                status: status.to_string(),
                note: note.map(str::to_string),
            }),
        )
        .await
    }

    /// `POST /api/v1/sentinels/alerts/{id}/assign`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn assign_alert(
        &self,
        id: i64,
        assignee: Option<&str>,
    ) -> Result<fangkong_api_types::SentinelAlertDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/sentinels/alerts/{id}/assign"),
            Some(&fangkong_api_types::AlertAssignment {
                assignee: assignee.map(str::to_string),
            }),
        )
        .await
    }

    /// `POST /api/v1/sentinels/alerts/{id}/notes`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn note_alert(
        &self,
        id: i64,
        note: &str,
    ) -> Result<fangkong_api_types::SentinelAlertDetail> {
        self.call(
            Method::POST,
            &format!("/api/v1/sentinels/alerts/{id}/notes"),
            Some(&fangkong_api_types::AlertNote {
                note: note.to_string(),
            }),
        )
        .await
    }

    /// `GET /api/v1/sentinels/subscription`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn sentinel_subscription(&self) -> Result<fangkong_api_types::SentinelSubscription> {
        self.call(Method::GET, "/api/v1/sentinels/subscription", None::<&()>)
            .await
    }

    /// `PUT /api/v1/sentinels/subscription`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_sentinel_subscription(
        &self,
        body: &fangkong_api_types::SentinelSubscription,
    ) -> Result<fangkong_api_types::SentinelSubscription> {
        self.call(Method::PUT, "/api/v1/sentinels/subscription", Some(body))
            .await
    }

    /// `GET /api/v1/analysis/epidemic?days=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn epidemic_analysis(
        &self,
        days: usize,
    ) -> Result<fangkong_api_types::EpidemicAnalysis> {
        self.call(
            Method::GET,
            &format!("/api/v1/analysis/epidemic?days={days}"),
            None::<&()>,
        )
        .await
    }
}

/// The query of fever-clinic lists.
fn fever_filter(clinic_id: Option<i64>, county: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(c) = clinic_id {
        q.push(("clinic_id", c.to_string()));
    }
    if let Some(c) = county {
        q.push(("county", c.to_string()));
    }
    q
}

/// Supplies and reserves (`/api/v1/supplies`).
impl Client {
    /// `GET /api/v1/supplies/items`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn supply_items(&self) -> Result<Vec<fangkong_api_types::SupplyItem>> {
        self.call(Method::GET, "/api/v1/supplies/items", None::<&()>)
            .await
    }

    /// `POST /api/v1/supplies/items`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn create_supply_item(
        &self,
        body: &fangkong_api_types::SupplyItemCreate,
    ) -> Result<fangkong_api_types::SupplyItem> {
        self.call(Method::POST, "/api/v1/supplies/items", Some(body))
            .await
    }

    /// `POST /api/v1/supplies/items/{id}/model`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn set_supply_model(
        &self,
        id: i64,
        body: &fangkong_api_types::SupplyModel,
    ) -> Result<fangkong_api_types::SupplyItem> {
        self.call(
            Method::POST,
            &format!("/api/v1/supplies/items/{id}/model"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/supplies/warehouses`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn warehouses(&self) -> Result<Vec<fangkong_api_types::Warehouse>> {
        self.call(Method::GET, "/api/v1/supplies/warehouses", None::<&()>)
            .await
    }

    /// `POST /api/v1/supplies/warehouses`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn create_warehouse(
        &self,
        body: &fangkong_api_types::WarehouseCreate,
    ) -> Result<fangkong_api_types::Warehouse> {
        self.call(Method::POST, "/api/v1/supplies/warehouses", Some(body))
            .await
    }

    /// `GET /api/v1/supplies/warehouses/{id}/stock`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn warehouse_stock(&self, id: i64) -> Result<Vec<fangkong_api_types::StockBalance>> {
        self.call(
            Method::GET,
            &format!("/api/v1/supplies/warehouses/{id}/stock"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/supplies/warehouses/{id}/stocktake`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn stocktake(
        &self,
        id: i64,
        body: &fangkong_api_types::StocktakeCreate,
    ) -> Result<fangkong_api_types::StocktakeResult> {
        self.call(
            Method::POST,
            &format!("/api/v1/supplies/warehouses/{id}/stocktake"),
            Some(body),
        )
        .await
    }

    /// `GET /api/v1/supplies/movements?warehouse=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn supply_movements(
        &self,
        warehouse: Option<i64>,
    ) -> Result<Vec<fangkong_api_types::Movement>> {
        let path = match warehouse {
            Some(w) => format!("/api/v1/supplies/movements?warehouse={w}"),
            None => "/api/v1/supplies/movements".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `POST /api/v1/supplies/movements`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn post_movement(
        &self,
        body: &fangkong_api_types::MovementCreate,
    ) -> Result<fangkong_api_types::Movement> {
        self.call(Method::POST, "/api/v1/supplies/movements", Some(body))
            .await
    }

    /// `POST /api/v1/supplies/movements:import?file_name=`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn import_movements(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<Vec<fangkong_api_types::Movement>> {
        let r = self
            .request(Method::POST, "/api/v1/supplies/movements:import")
            .query(&[("file_name", file_name)])
            .body(bytes)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/supplies/board`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn supplies_board(&self) -> Result<fangkong_api_types::SuppliesBoard> {
        self.call(Method::GET, "/api/v1/supplies/board", None::<&()>)
            .await
    }

    /// `GET /api/v1/supplies/forecast`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn supplies_forecast(&self) -> Result<Vec<fangkong_api_types::SupplyForecast>> {
        self.call(Method::GET, "/api/v1/supplies/forecast", None::<&()>)
            .await
    }

    /// `GET /api/v1/supplies/alerts`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn supplies_alerts(&self) -> Result<Vec<fangkong_api_types::SupplyAlert>> {
        self.call(Method::GET, "/api/v1/supplies/alerts", None::<&()>)
            .await
    }

    /// `GET /api/v1/supplies/transfers/suggestions`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn transfer_suggestions(&self) -> Result<Vec<fangkong_api_types::TransferPlan>> {
        self.call(
            Method::GET,
            "/api/v1/supplies/transfers/suggestions",
            None::<&()>,
        )
        .await
    }

    // ---- Co-investigation, command, federation ----

    /// `POST /api/v1/co-investigations`: a task with its list inline.
    ///
    /// # Errors
    /// `Api`.
    pub async fn create_co_task(
        &self,
        body: &fangkong_api_types::CoTaskCreate,
    ) -> Result<fangkong_api_types::CoTaskCreated> {
        self.call(Method::POST, "/api/v1/co-investigations", Some(body))
            .await
    }

    /// `POST /api/v1/co-investigations:import`: a list file as a task.
    ///
    /// # Errors
    /// `Api`, 422 naming every bad value.
    pub async fn import_co_task(
        &self,
        header: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<fangkong_api_types::CoTaskCreated> {
        let r = self
            .request(Method::POST, "/api/v1/co-investigations:import")
            .query(&[("file_name", file_name)])
            .query(header)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        Ok(Self::answer(r).await?.1)
    }

    /// `GET /api/v1/co-investigations`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn co_tasks(&self) -> Result<Vec<fangkong_api_types::CoTask>> {
        self.call(Method::GET, "/api/v1/co-investigations", None::<&()>)
            .await
    }

    /// `GET /api/v1/co-investigations/{id}/items?status=&here=&limit=&offset=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn co_items(
        &self,
        task_id: i64,
        query: &str,
    ) -> Result<Vec<fangkong_api_types::CoItem>> {
        self.call(
            Method::GET,
            &format!("/api/v1/co-investigations/{task_id}/items?{query}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/co-investigations/items:assign`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn assign_co_items(&self, item_ids: &[i64], code: &str) -> Result<u64> {
        let c: fangkong_api_types::Changed = self
            .call(
                Method::POST,
                "/api/v1/co-investigations/items:assign",
                Some(&fangkong_api_types::CoAssign {
                    item_ids: item_ids.to_vec(),
                    code: code.to_string(),
                }),
            )
            .await?;
        Ok(c.changed)
    }

    /// `POST /api/v1/co-investigations/items:feedback`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn feed_back_co_items(
        &self,
        entries: &[fangkong_api_types::CoFeedback],
    ) -> Result<u64> {
        let c: fangkong_api_types::Changed = self
            .call(
                Method::POST,
                "/api/v1/co-investigations/items:feedback",
                Some(&fangkong_api_types::CoFeedbackBatch {
                    entries: entries.to_vec(),
                }),
            )
            .await?;
        Ok(c.changed)
    }

    /// `POST /api/v1/co-investigations:escalate`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn escalate_co_items(&self) -> Result<u64> {
        let c: fangkong_api_types::Changed = self
            .call(
                Method::POST,
                "/api/v1/co-investigations:escalate",
                None::<&()>,
            )
            .await?;
        Ok(c.changed)
    }

    /// `GET /api/v1/co-investigations/notices`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn co_notices(&self) -> Result<Vec<fangkong_api_types::CoNotice>> {
        self.call(
            Method::GET,
            "/api/v1/co-investigations/notices",
            None::<&()>,
        )
        .await
    }

    /// `GET /api/v1/co-investigations/stats?task_id=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn co_stats(&self, task_id: Option<i64>) -> Result<fangkong_api_types::CoStats> {
        let path = match task_id {
            Some(t) => format!("/api/v1/co-investigations/stats?task_id={t}"),
            None => "/api/v1/co-investigations/stats".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `POST /api/v1/directives`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn issue_directive(
        &self,
        body: &fangkong_api_types::DirectiveCreate,
    ) -> Result<fangkong_api_types::Directive> {
        self.call(Method::POST, "/api/v1/directives", Some(body))
            .await
    }

    /// `GET /api/v1/directives`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn directives(&self) -> Result<Vec<fangkong_api_types::Directive>> {
        self.call(Method::GET, "/api/v1/directives", None::<&()>)
            .await
    }

    /// `POST /api/v1/directives/{id}/acknowledge`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn acknowledge_directive(&self, id: i64) -> Result<fangkong_api_types::Directive> {
        self.call(
            Method::POST,
            &format!("/api/v1/directives/{id}/acknowledge"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/directives/{id}/complete`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn complete_directive(
        &self,
        id: i64,
        report: &str,
    ) -> Result<fangkong_api_types::Directive> {
        self.call(
            Method::POST,
            &format!("/api/v1/directives/{id}/complete"),
            Some(&fangkong_api_types::DirectiveReport {
                report: report.to_string(),
            }),
        )
        .await
    }

    /// `GET /api/v1/overdue?jurisdiction=`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn overdue(&self, jurisdiction: &str) -> Result<fangkong_api_types::OverdueCounts> {
        self.call(
            Method::GET,
            &format!("/api/v1/overdue?jurisdiction={jurisdiction}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/duty/shifts`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn add_shift(
        &self,
        body: &fangkong_api_types::DutyShiftCreate,
    ) -> Result<fangkong_api_types::DutyShift> {
        self.call(Method::POST, "/api/v1/duty/shifts", Some(body))
            .await
    }

    /// `GET /api/v1/duty/now`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn on_duty(&self) -> Result<Vec<fangkong_api_types::DutyShift>> {
        self.call(Method::GET, "/api/v1/duty/now", None::<&()>)
            .await
    }

    /// `POST /api/v1/duty/shifts/{id}/log`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn log_shift_event(
        &self,
        id: i64,
        text: &str,
    ) -> Result<fangkong_api_types::DutyLogEntry> {
        self.call(
            Method::POST,
            &format!("/api/v1/duty/shifts/{id}/log"),
            Some(&fangkong_api_types::DutyText {
                text: text.to_string(),
            }),
        )
        .await
    }

    /// `POST /api/v1/duty/shifts/{id}/handover`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn hand_over(&self, id: i64, note: &str) -> Result<fangkong_api_types::DutyShift> {
        self.call(
            Method::POST,
            &format!("/api/v1/duty/shifts/{id}/handover"),
            Some(&fangkong_api_types::DutyText {
                text: note.to_string(),
            }),
        )
        .await
    }

    /// `GET /api/v1/duty/shifts/{id}`.
    ///
    /// # Errors
    /// `Api`.
    pub async fn shift(&self, id: i64) -> Result<fangkong_api_types::DutyShiftDetail> {
        self.call(
            Method::GET,
            &format!("/api/v1/duty/shifts/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /api/v1/federation/messages`: a batch of signed messages (peers, and tests of
    /// refusals).
    ///
    /// # Errors
    /// `Api`.
    pub async fn send_federation(
        &self,
        batch: &fangkong_api_types::FederationBatch,
    ) -> Result<fangkong_api_types::FederationReceipts> {
        self.call(Method::POST, "/api/v1/federation/messages", Some(batch))
            .await
    }

    /// `GET /api/v1/dashboard`.
    ///
    /// # Errors
    /// `Api` with the problem details.
    pub async fn dashboard(&self) -> Result<fangkong_api_types::Dashboard> {
        self.call(Method::GET, "/api/v1/dashboard", None::<&()>)
            .await
    }
}
